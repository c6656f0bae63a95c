"""Every label exists in Kyrgyz, Russian and English, and every label the code asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

from dashboards import i18n

DASHBOARDS = Path(i18n.__file__).resolve().parent
LITERAL_KEY = re.compile(r"""\b(?:t|text)\(\s*["']([a-z_]+\.[a-z0-9_]+)["']""")


def test_every_label_has_three_languages():
    missing = {key for key, entry in i18n.labels().items() if set(entry) != set(i18n.LANGS)}
    assert not missing


def test_every_label_the_code_uses_exists():
    used = {
        key
        for path in DASHBOARDS.rglob("*.py")
        for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8"))
    }
    assert len(used) > 80
    assert used - set(i18n.labels()) == set()


def test_codes_and_totals_are_named_in_each_language():
    assert i18n.code_label("sex", "F", "ky") == "Кыздар / аялдар"
    assert i18n.code_label("grade", "_T", "en") == "Total"
    assert i18n.code_label("org_type", "uvk", "ru") == "Учебно-воспитательный комплекс"
    assert i18n.code_label("sex", "unknown-code", "en") == "unknown-code"
    for dimension, entries in i18n.codes().items():
        for code, names in entries.items():
            assert set(names) == set(i18n.LANGS), (dimension, code)


def test_every_district_has_an_english_name():
    from emis.reference import territories

    assert set(territories()["district_code"]) == set(i18n.territory_names_en())


def test_text_fills_values_and_falls_back():
    assert i18n.text("auth.signed_in_as", "en", user="a", role="b") == "Signed in as a (b)"
    assert i18n.text("no.such.key", "ru") == "no.such.key"
    assert i18n.choose_lang("xx") == i18n.DEFAULT_LANG
