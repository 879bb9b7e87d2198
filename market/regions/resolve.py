"""Text to division: what a searcher types ("苏州", "suzhou", "Suzhou ", "320500") and what a
factory writes as its region and address ("Suzhou", "江苏省苏州市昆山市…").

A search term names divisions exactly (a code, or a Chinese or English name with or without
its suffix) and may name several: "Suzhou" is both 苏州 (320500) and 宿州 (341300).
A factory's place is read like an address: every division its region names is a candidate,
and the rest of its text (address, name) votes for the candidate it lies in, and may make it
more precise (a "Suzhou" factory whose address names 昆山 is in Kunshan, 320583).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from market.regions.divisions import ZH_SUFFIXES, Division, divisions, key, zh_short

CODE = re.compile(r"^\d{6}$")
_HAN = re.compile(r"[\u4e00-\u9fff]+")


def lookup(term: str) -> tuple[Division, ...]:
    """The divisions a search term names exactly; () if none."""
    table = divisions()
    term = term.strip()
    if CODE.match(term):
        return (table.by_code[term],) if term in table.by_code else ()
    found = table.by_name.get(key(term), ())
    short = zh_short(term)  # "苏州市": the table writes cities and provinces without 市 and 省
    return found or (table.by_name.get(key(short), ()) if short else ())


def mentions(text: str) -> list[tuple[Division, ...]]:
    """The places a free text names, each with the divisions it could be: Chinese runs are
    scanned for the longest known names, Latin words (and word pairs: "Wu Jiang") looked up."""
    table = divisions()
    found: list[tuple[Division, ...]] = []
    for run in _HAN.findall(text):
        i = 0
        while i < len(run):
            for n in range(min(table.longest_zh, len(run) - i), 1, -1):
                if run[i:i + n] in table.zh_names:
                    found.append(table.by_name[run[i:i + n]])
                    i += n
                    # the name's suffix is not the start of the next name ("深圳市南山区", not 市南区)
                    i += next((len(x) for x in ZH_SUFFIXES if run.startswith(x, i)), 0)
                    break
            else:
                i += 1
    for word in re.findall(r"\d{6}", text):
        if word in table.by_code:
            found.append((table.by_code[word],))
    words = re.findall(r"[^\W\d_]+", _HAN.sub(" ", text))
    for i, word in enumerate(words):
        single = table.by_name.get(key(word), ())
        pair = table.by_name.get(key(word + (words[i + 1] if i + 1 < len(words) else "")), ()) \
            if i + 1 < len(words) else ()
        if pair:
            found.append(pair)
        elif single:
            found.append(single)
    return found


class Unresolved(Exception):
    """The region names no division (`candidates` empty) or several equally well."""

    def __init__(self, text: str, candidates: tuple[Division, ...] = ()):
        super().__init__(text)
        self.text, self.candidates = text, candidates


@dataclass(frozen=True)
class Place:
    division: Division

    @property
    def code(self) -> str:
        return self.division.code


def resolve_place(region: str, *context: str) -> Place:
    """The one division `region` (else the first context text, the address) names, refined and
    disambiguated by the others; Unresolved when there is none or no single best."""
    primary = mentions(region)
    rest = [m for text in context for m in mentions(text)]
    if not primary and context:
        primary, rest = mentions(context[0]), [m for text in context[1:] for m in mentions(text)]
    if not primary:
        raise Unresolved(region)
    named = {d for m in primary for d in m}
    candidates = named | {d for m in rest for d in m if any(n.contains(d) for n in named)}
    everything = primary + rest
    # a division's support: the mentions naming it or a division it lies in
    support = Counter({d: sum(1 for m in everything if any(x.contains(d) for x in m)) for d in candidates})
    best = max(support.values())
    top = [d for d, n in support.items() if n == best]
    # a division named with one inside it is the inner one ("苏州" with "昆山": Kunshan)
    top = sorted((d for d in top if not any(d is not o and d.contains(o) for o in top)), key=lambda d: d.code)
    if len(top) > 1:
        # two districts of one city named as often: the city, not a guess between them
        common = [d for d in candidates if all(d.contains(t) for t in top)]
        top = [max(common, key=lambda d: d.level)] if common else top
    if len(top) != 1:
        raise Unresolved(region, tuple(top))
    return Place(top[0])
