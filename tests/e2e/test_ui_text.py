"""The English-text finder the Chinese journeys use: it finds English words, not codes,
numbers, file names or what the parties typed."""
from tests.e2e.ui_text import english_words


def test_it_finds_english_words_and_leaves_codes_and_typed_data_alone():
    text = "已验证 Verified · 42CrMo4 · 铣床 VF-2 · SF1234567890 · mill-certificate-6061.pdf · 6061-T6 · 500 pcs\n" \
           "buyer user · 杭州泵业 · https://example.test/trace/ABCD · English · 硬度 30 HRC · Ac 1 Re 2"
    assert english_words(text, ["buyer user"]) == {"Verified", "pcs"}
    assert english_words("第 1 级 · 工序 #3 #4 · 已确认") == set()


def test_commands_urls_and_product_names_are_not_english_text():
    text = "用 `python -m ledger verify-evidence` 核验 · 签名（Standard Webhooks）· 地址 https:// · Nadcap 认证 · 5 kg"
    assert english_words(text) == set()
    assert english_words("用 python 核验") == {"python"}  # outside backticks a word is a word
