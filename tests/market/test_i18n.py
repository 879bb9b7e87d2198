"""Every string marked for translation in the code and templates has a zh-CN translation
in the compiled catalog the app loads."""
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}


def _marked_strings() -> set[str]:
    method_map = [("market/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/mail/**.txt", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.do"}, "templates/mail/**.txt": {}}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options, KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_marked_string_has_a_chinese_translation():
    with open(ROOT / "market/translations/zh_CN/LC_MESSAGES/messages.mo", "rb") as f:
        catalog = read_mo(f)
    translated = {m.id for m in catalog if m.id and m.string}
    missing = sorted(_marked_strings() - translated)
    assert not missing, f"untranslated (run pybabel extract/update, translate, market i18n-compile): {missing}"


@pytest.mark.parametrize("minor, currency, shown", [
    (1_234_56, "CNY", "¥1,234.56"),
    (-5, "CNY", "-¥0.05"),
    (1500, "JPY", "¥1,500"),  # no minor unit
    (1500, "VND", "VND 1,500"),
    (1_500, "KWD", "KWD 1.500"),  # three decimals
    (9_999_999_999_999_99, "USD", "$9,999,999,999,999.99"),  # past a double's exact range: still exact
    (None, "CNY", "—"),
])
def test_money_is_exact_with_the_currencys_real_exponent(minor, currency, shown):
    from market.i18n import money

    assert money(minor, currency) == shown
