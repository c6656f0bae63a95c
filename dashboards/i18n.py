"""Labels in Kyrgyz, Russian and English, read from the data files in ``translations/``.

``ui.yml`` holds every label of the portal, ``codes.yml`` the breakdown codes and units,
``territories_en.csv`` English district names (the territory seed has Kyrgyz and Russian ones).
Indicator names and definitions come from the release's ``indicators`` table.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import yaml

LANGS = ("ky", "ru", "en")
DEFAULT_LANG = "ky"  # the state language
LANG_NAMES = {"ky": "Кыр", "ru": "Рус", "en": "Eng"}  # short: the sidebar is narrow
FOLDER = Path(__file__).resolve().parent / "translations"


@cache
def _yaml(name: str) -> dict:
    with (FOLDER / name).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@cache
def labels() -> dict[str, dict[str, str]]:
    return {**_yaml("signoff.yml"), **_yaml("ui.yml")}  # the sign-off page's labels apart


def codes() -> dict[str, dict[str, dict[str, str]]]:
    return _yaml("codes.yml")


def text(key: str, lang: str, **values: object) -> str:
    """The label ``key`` in ``lang`` (English, then the key itself, if it is missing)."""
    entry = labels().get(key, {})
    template = entry.get(lang) or entry.get("en") or key
    return template.format(**values) if values else template


def code_label(dimension: str, code: str, lang: str) -> str:
    """A breakdown code's name (``sex`` ``F`` -> Female); SDMX totals are shared."""
    entry = codes().get(dimension, {}).get(code) or codes()["_any"].get(code)
    if entry is None:
        return code
    return entry.get(lang) or entry.get("en") or code


def dimension_label(dimension: str, lang: str) -> str:
    return text(f"dimension.{dimension}", lang)


@cache
def territory_names_en() -> dict[str, str]:
    with (FOLDER / "territories_en.csv").open(encoding="utf-8") as handle:
        return {row["territory_code"]: row["name_en"] for row in csv.DictReader(handle)}


def localized(row, field: str, lang: str) -> str:
    """``row[field_<lang>]`` (a mapping or a namedtuple-like row), falling back to Russian."""
    get = row.get if hasattr(row, "get") else lambda key, default=None: getattr(row, key, default)
    for candidate in (lang, "ru", "en"):
        value = get(f"{field}_{candidate}", None)
        if isinstance(value, str) and value:
            return value
    return ""


def choose_lang(requested: str | None) -> str:
    return requested if requested in LANGS else DEFAULT_LANG
