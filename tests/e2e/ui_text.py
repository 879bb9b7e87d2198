"""What a Chinese reader would see in English on a page: the words of Latin letters in its
visible text and in the texts it shows on controls (placeholders, labels for screen readers,
tooltips), once the data the parties typed is taken out. Codes and numbers (42CrMo4, VF-2,
SF123) are not words; nor is what a page sets as code (<code>, <kbd>, <samp>, <pre>, or
`between backticks`: a command, an event type, an HTTP header); a language's own name in the
language menu ("English") is meant, and so are product names and units (NAMES, MEANT)."""
from __future__ import annotations

import re

WORD = re.compile(r"(?<![\w\-./@])[A-Za-z]*[a-z][A-Za-z]*(?![\w\-/@])")
# meant as they are: the language menu names each language in itself; "Webhook" is the
# term of art Chinese products use too (the catalogue translates "Webhooks" so); Ac and Re are
# ISO 2859-1's (and GB/T 2828.1's) symbols for the acceptance and rejection numbers; units of
# measure; Gini (the Gini coefficient, a person's name); the HTTP header an API client sends
# ("Authorization: Bearer <token>") is typed as it is
MEANT = {"English", "Webhook", "Ac", "Re", "kg", "mm", "Gini", "Authorization", "Bearer"}
# names of products, standards and programmes, written the same in Chinese text
NAMES = ("Standard Webhooks", "Nadcap", "WeCom", "DingTalk", "Feishu", "Stripe", "Python")

_SHOWN = """() => {
  const out = [document.body.innerText, document.title];
  const codes = [...document.querySelectorAll('code, kbd, samp, pre')].map(el => el.innerText);
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], [alt]')) {
    for (const a of ['placeholder', 'aria-label', 'title', 'alt']) { if (el.getAttribute(a)) out.push(el.getAttribute(a)); }
  }
  for (const el of document.querySelectorAll('input[type=submit], input[type=button]')) out.push(el.value);
  return [out.join('\\n'), codes];
}"""


def english_words(text: str, data=()) -> set[str]:
    """The English words in `text` after removing each string of `data` (what users typed)."""
    for item in sorted([*data, *NAMES], key=len, reverse=True):
        text = text.replace(item, " ")
    text = re.sub(r"https?://\S*", " ", text)
    text = re.sub(r"`[^`\n]+`", " ", text)
    return {w for w in WORD.findall(text) if len(w) > 1} - MEANT


def english_on(page, data=()) -> set[str]:
    """English words a reader of `page` sees (its text and its controls' texts)."""
    text, codes = page.evaluate(_SHOWN)
    return english_words(text, [*data, *(c for c in codes if c.strip())])
