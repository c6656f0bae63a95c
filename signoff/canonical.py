"""Canonical JSON: one byte string per document, so its SHA-256 can be signed and re-checked.

Keys sorted, no insignificant white space, UTF-8 (not ``\\u`` escapes), numbers stable: a whole
float is written as an integer (12.0 and 12 are the same count whatever engine summed it), any
other float rounded to 6 decimals; NaN and infinities are refused (they have no JSON form).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping


def stable(value):
    """``value`` with its numbers in their one canonical form, recursively."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} has no canonical JSON form")
        return int(value) if value.is_integer() else round(value, 6)
    if isinstance(value, Mapping):
        return {str(key): stable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [stable(item) for item in value]
    if hasattr(value, "item"):  # a numpy scalar
        return stable(value.item())
    raise TypeError(f"{type(value).__name__} has no canonical JSON form")


def dumps(document: Mapping) -> str:
    return json.dumps(stable(document), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def encode(document: Mapping) -> bytes:
    return dumps(document).encode("utf-8")


def sha256(document: Mapping) -> str:
    return text_sha256(dumps(document))


def text_sha256(text: str) -> str:
    """The SHA-256 of a document already in its canonical text (``dumps``)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
