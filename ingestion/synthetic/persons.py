"""Person data of the synthetic learner and staff registers: nationality, PIN, names, documents.

Everything is vectorized: no Python loop runs per person, so a national-scale register
(2.5 million people) takes a few seconds. Random numbers come from numpy; strings are assembled
as Arrow arrays, pandas 3's own storage for its ``str`` dtype, so no Python object is created
per person. The same ``numpy.random.Generator`` state always gives the same output.

PIN (ПИН, see ``docs/register-contract.md``): 14 digits; digit 1 = sex (1 female, 2 male),
digits 2-9 = birth date DDMMYYYY, digits 10-14 = a sequence number.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import ArrayLike

from ingestion.contract import DOCUMENT_TYPES, NATIONALITY
from ingestion.synthetic.names import NAMES, STREETS, TOWNS, TRADITIONS, VILLAGES, Tradition

# Contract nationality -> name tradition, by the closest naming pattern among the three lists.
TRADITION_BY_NATIONALITY: Final[Mapping[str, Tradition]] = MappingProxyType(
    {
        "kyrgyz": "kyrgyz",
        "uzbek": "uzbek",
        "russian": "russian",
        "kazakh": "kyrgyz",  # Turkic names with -ов/-ев surnames, largely shared with Kyrgyz
        "tajik": "uzbek",  # Persian-Islamic first names, -ов/-ев surnames: as Uzbek ones
        "uyghur": "uzbek",  # Turkic-Islamic first names, as Uzbek ones
        "turkish": "uzbek",  # Meskhetian Turks: Islamic first names, -ов/-ев surnames
        "dungan": "russian",  # Dungans in Kyrgyzstan mostly carry Russian-form names
        "other": "russian",  # Ukrainians, Tatars, Koreans, Germans...: Russian-form names
    }
)
# Missing or unknown nationality: the majority's names (the contract makes nationality optional).
_DEFAULT_TRADITION: Final[Tradition] = "kyrgyz"

# Region shares of nationality (roughly the 2009/2021 census by oblast).
SOUTH_OBLASTS: Final = frozenset({"41703", "41705", "41706", "41721"})  # J.-Abad, Batken, Osh
NORTH_OBLASTS: Final = frozenset({"41711", "41708"})  # Bishkek, Chui
NATIONALITY_SHARES: Final[Mapping[str, Mapping[str, float]]] = MappingProxyType(
    {
        "south": MappingProxyType(
            {"kyrgyz": 0.68, "uzbek": 0.27, "tajik": 0.01, "russian": 0.01, "turkish": 0.005,
             "uyghur": 0.005, "other": 0.02}
        ),
        "north": MappingProxyType(
            {"kyrgyz": 0.66, "russian": 0.20, "dungan": 0.02, "uyghur": 0.01, "kazakh": 0.01,
             "uzbek": 0.02, "other": 0.08}
        ),
        "rest": MappingProxyType({"kyrgyz": 0.95, "russian": 0.02, "kazakh": 0.01, "other": 0.02}),
    }
)  # fmt: skip
_REGIONS: Final = ("south", "north", "rest")

PIN_SEQUENCES: Final = 100_000  # digits 10-14: distinct PINs per (sex, birth date)

# Shares of people with a missing or filled value.
PIN_NOT_ISSUED: Final = 0.003
PATRONYMIC_MISSING: Final = 0.03
BIRTH_PLACE_FILLED: Final = 0.80
ADDRESS_FILLED: Final = 0.90
PHONE_FILLED: Final = 0.60
PASSPORT_AGE: Final = 16  # the ID card is issued at 16; younger citizens hold a birth certificate

# Birth certificate "KR-II 123456": series x 6 digits; ID card "ID" + 7 digits; foreign "FD" + 8.
BIRTH_CERTIFICATE_SERIES: Final = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
_BIRTH_CERTIFICATE_TEMPLATE: Final = "KR-~~~~ ######"  # "~" = series letter or nothing
_PASSPORT_TEMPLATE: Final = "ID#######"
_FOREIGN_TEMPLATE: Final = "FD########"
_PHONE_TEMPLATE: Final = "+996 7## ### ###"
_PIN_TEMPLATE: Final = "#" * 14
HOUSE_NUMBERS: Final = 150

PERSON_COLUMNS: Final = (
    "pin", "last_name", "first_name", "patronymic", "birth_place", "document_type",
    "document_number", "address", "phone",
)  # fmt: skip

# pandas 3's default string dtype: Arrow storage, NaN for missing.
_STR: Final = pd.StringDtype(storage="pyarrow", na_value=np.nan)


# --- small vectorized helpers --------------------------------------------------------------------


def _recode(values: ArrayLike, lookup: Mapping[str, int], default: int, missing: int) -> np.ndarray:
    """Map every value through ``lookup`` (unknown -> default, missing -> missing), as int16.

    Works on the few distinct values (pandas.factorize), not per element.
    """
    codes, uniques = pd.factorize(values)
    table = np.array([lookup.get(u, default) for u in uniques] + [missing], dtype=np.int16)
    return table[codes]  # code -1 (missing) picks the last entry


def _sex_codes(sex: ArrayLike) -> np.ndarray:
    """1 for 'M', 0 for 'F'; anything else is an error (the PIN needs the sex)."""
    male = _recode(sex, {"F": 0, "M": 1}, default=-1, missing=-1)
    if (male < 0).any():
        raise ValueError("sex must be 'F' or 'M' for every person")
    return male.astype(np.int64)


def _as_dates(dates: ArrayLike) -> np.ndarray:
    return np.asarray(dates).astype("datetime64[D]", copy=False)


def _ymd(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) as int64 arrays of datetime64[D] values (NaT gives garbage: mask it)."""
    months = dates.astype("datetime64[M]")
    year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (dates - months).astype(np.int64) + 1
    return year, month, day


def _distinct(rng: np.random.Generator, k: int, space: int) -> np.ndarray:
    """``k`` distinct integers in [0, space), in random order.

    An affine bijection modulo ``space`` applied to a permutation of 0..k-1: distinct by
    construction, and memory stays O(k) where ``rng.choice(space, k, replace=False)`` may
    shuffle all of ``space``.
    """
    if k > space:
        raise ValueError(f"cannot draw {k} distinct numbers out of {space}")
    multiplier = int(rng.integers(1, space))
    while math.gcd(multiplier, space) != 1:
        multiplier = int(rng.integers(1, space))
    shift = int(rng.integers(0, space))
    return (rng.permutation(k).astype(np.int64) * multiplier + shift) % space


def _ascii_matrix(template: str, number: np.ndarray) -> np.ndarray:
    """One row of ASCII bytes per number: ``template`` with its '#' replaced by the number's
    digits (zero-padded, the last '#' is the units)."""
    pattern = np.frombuffer(template.encode("ascii"), dtype=np.uint8)
    out = np.empty((len(number), len(pattern)), dtype=np.uint8)
    out[:] = pattern
    rest = np.asarray(number, dtype=np.int64)
    for position in np.flatnonzero(pattern == ord("#"))[::-1]:  # a pass per digit, not per row
        out[:, position] = rest % 10 + ord("0")
        rest = rest // 10
    return out


def _arrow_strings(matrix: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
    """Arrow strings from rows of ASCII bytes, dropping NUL bytes (variable-width parts);
    rows where ``present`` is False are null. No Python object per row."""
    n, width = matrix.shape
    used = matrix != 0
    if used.all():
        data = np.ascontiguousarray(matrix).reshape(-1)
        offsets = np.arange(n + 1, dtype=np.int64) * width
    else:
        data = matrix[used]
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(used.sum(axis=1), out=offsets[1:])
    validity, nulls = None, 0
    if present is not None:
        validity = pa.py_buffer(np.packbits(present, bitorder="little"))
        nulls = int(n - np.count_nonzero(present))
    return pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(data), validity, nulls
    )


def _take(
    vocabulary: Sequence[str], index: np.ndarray, present: np.ndarray | None = None
) -> pa.Array:
    """``vocabulary[index]`` as an Arrow string array; null where ``present`` is False."""
    mask = None if present is None else ~present
    return pa.array(vocabulary, type=pa.large_string()).take(pa.array(index, mask=mask))


def _interleave(n: int, parts: Sequence[tuple[np.ndarray, pa.Array]]) -> pa.Array:
    """Put each part's values at its rows (the parts' rows partition 0..n-1)."""
    position = np.empty(n, dtype=np.int64)
    start = 0
    for rows, _ in parts:
        position[rows] = np.arange(start, start + len(rows))
        start += len(rows)
    return pa.concat_arrays([values for _, values in parts]).take(pa.array(position))


@functools.cache
def _address_vocabulary() -> pa.Array:
    """Every "с. <village>, <street>, <house>": index (village * streets + street) * houses +
    house - 1. Drawing an address is then one take, with no per-row string building."""
    villages = np.repeat([f"с. {v}, " for v in VILLAGES], len(STREETS) * HOUSE_NUMBERS)
    streets = np.tile(np.repeat([f"{s}, " for s in STREETS], HOUSE_NUMBERS), len(VILLAGES))
    houses = np.tile(np.arange(1, HOUSE_NUMBERS + 1).astype(str), len(VILLAGES) * len(STREETS))
    vocabulary = np.strings.add(np.strings.add(villages, streets), houses)
    return pa.array(vocabulary, type=pa.large_string())


class _NamePool(NamedTuple):
    """Names of all traditions in one vocabulary; (tradition, is_female) -> slice of it."""

    vocabulary: tuple[str, ...]
    start: np.ndarray  # [tradition, is_female]
    size: np.ndarray

    @classmethod
    def build(cls, lists: Mapping[tuple[int, int], Sequence[str]]) -> _NamePool:
        vocabulary: list[str] = []
        start = np.zeros((len(TRADITIONS), 2), dtype=np.int64)
        size = np.zeros_like(start)
        for (tradition, female), names in lists.items():
            start[tradition, female], size[tradition, female] = len(vocabulary), len(names)
            vocabulary.extend(names)
        return cls(tuple(vocabulary), start, size)

    def draw(
        self,
        rng: np.random.Generator,
        tradition: np.ndarray,
        female: np.ndarray,
        present: np.ndarray | None = None,
    ) -> pa.Array:
        high = self.size[tradition, female]
        return _take(
            self.vocabulary, self.start[tradition, female] + rng.integers(0, high), present
        )


def _pools() -> tuple[_NamePool, _NamePool, _NamePool]:
    first, last, patronymic = {}, {}, {}
    for t, tradition in enumerate(TRADITIONS):
        names = NAMES[tradition]
        first[t, 0], first[t, 1] = names.male, names.female
        last[t, 0] = tuple(m for m, _ in names.surnames)
        last[t, 1] = tuple(f for _, f in names.surnames)
        patronymic[t, 0] = tuple(m for m, _ in names.patronymics)
        patronymic[t, 1] = tuple(f for _, f in names.patronymics)
    return _NamePool.build(first), _NamePool.build(last), _NamePool.build(patronymic)


_FIRST_NAMES, _SURNAMES, _PATRONYMICS = _pools()
_TRADITION_CODE: Final = {nat: TRADITIONS.index(t) for nat, t in TRADITION_BY_NATIONALITY.items()}


# --- public API ----------------------------------------------------------------------------------


def draw_nationality(rng: np.random.Generator, oblast_codes: ArrayLike) -> np.ndarray:
    """Draw a contract nationality code for each person from the shares of their region.

    ``oblast_codes``: 5-digit SOATE oblast codes (an 8-digit district code works too: its first
    five digits are the oblast). Regions: south (Jalal-Abad, Batken, Osh oblast, Osh city),
    north (Bishkek, Chui), rest; shares in ``NATIONALITY_SHARES``. Returns an object array of
    codes from ``ingestion.contract.NATIONALITY``.
    """
    region_of = {code: 0 for code in SOUTH_OBLASTS} | {code: 1 for code in NORTH_OBLASTS}
    codes, uniques = pd.factorize(oblast_codes)
    table = np.array([region_of.get(str(u)[:5], 2) for u in uniques] + [2], dtype=np.int8)
    region = table[codes]
    u = rng.random(len(region))
    nationality = np.empty(len(region), dtype=np.int8)
    for r, name in enumerate(_REGIONS):
        shares = np.array([NATIONALITY_SHARES[name].get(code, 0.0) for code in NATIONALITY])
        cumulative = np.cumsum(shares) / shares.sum()
        cumulative[-1] = 1.0  # no rounding gap above the last code
        rows = region == r
        nationality[rows] = np.searchsorted(cumulative, u[rows], side="right")
    return np.asarray(NATIONALITY, dtype=object)[nationality]


def _pin_numbers(
    rng: np.random.Generator,
    male: np.ndarray,
    dates: np.ndarray,
    ymd: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """PINs as int64: sex digit, DDMMYYYY, then a sequence unique within (sex, birth date)."""
    if np.isnat(dates).any():
        raise ValueError("every person needs a birth date for a PIN")
    year, month, day = _ymd(dates) if ymd is None else ymd
    if len(year) and (year.min() < 1000 or year.max() > 9999):
        raise ValueError("birth years must have four digits")
    n = len(dates)
    key = dates.astype(np.int64) * 2 + male
    if n and key.max() - key.min() < 2**16:
        # ~90 years of birth dates x 2 sexes fit 16 bits, where numpy's stable sort is a
        # radix sort (10x faster than on int64); the order is the same either way.
        key = (key - key.min()).astype(np.uint16)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    del key
    first_of_group = np.ones(n, dtype=bool)
    np.not_equal(sorted_key[1:], sorted_key[:-1], out=first_of_group[1:])
    del sorted_key
    group = np.cumsum(first_of_group) - 1
    rank = np.arange(n) - np.flatnonzero(first_of_group)[group]  # 0, 1, ... in input order
    if n and rank.max() >= PIN_SEQUENCES:
        raise ValueError(f"more than {PIN_SEQUENCES} people share a sex and birth date")
    # A random start per group, so sequence numbers do not all begin at 00000.
    group_start = rng.integers(0, PIN_SEQUENCES, size=int(first_of_group.sum()))
    rank += group_start[group]
    del group
    rank %= PIN_SEQUENCES
    sequence = np.empty(n, dtype=np.int64)
    sequence[order] = rank
    del order, rank
    sequence += (male + 1) * 10**13 + (day * 10**6 + month * 10**4 + year) * 10**5
    return sequence


def make_pins(rng: np.random.Generator, sex: ArrayLike, birth_date: ArrayLike) -> np.ndarray:
    """A PIN for each person, unique across the array: object array of 14-digit str.

    ``sex``: 'F'/'M' (raises on anything else); ``birth_date``: datetime64-like, no NaT.
    Digits 10-14 are a random start per (sex, birth date) group plus the person's rank in the
    group, modulo 100000. Unique within one call only: draw the PINs of everybody who must not
    collide (learners and staff of one export) in one call.
    """
    numbers = _pin_numbers(rng, _sex_codes(sex), _as_dates(birth_date))
    matrix = _ascii_matrix(_PIN_TEMPLATE, numbers)
    return matrix.view("S14").reshape(-1).astype("U14").astype(object)


def make_persons(
    rng: np.random.Generator,
    sex: ArrayLike,
    birth_date: ArrayLike,
    nationality: ArrayLike,
    citizenship: ArrayLike,
    as_of: dt.date,
) -> pd.DataFrame:
    """Personal data for each person: one row per input, in input order.

    Columns ``PERSON_COLUMNS`` (pin, last_name, first_name, patronymic, birth_place,
    document_type, document_number, address, phone), pandas ``str`` dtype, NaN = missing.

    - names from the tradition of ``nationality`` (``TRADITION_BY_NATIONALITY``; missing or
      unknown: Kyrgyz), female forms for 'F'; patronymic missing for ~3 %;
    - citizenship other than 'KGZ' (missing counts as KGZ): no PIN, a 'foreign_document'
      "FD" + 8 digits; KGZ citizens: a PIN (missing for ~0.3 %: not yet issued), a 'passport'
      "ID" + 7 digits from age 16 on ``as_of``, else a 'birth_certificate' "KR-II 123456";
    - PINs and document numbers are unique within one call only: draw everybody of one export
      (learners and staff) in one call, then split;
    - birth_place (~80 % filled) a town; address (~90 %) "с. <village>, <street>, <house>";
      phone (~60 %) "+996 7XX XXX XXX".
    """
    dates = _as_dates(birth_date)
    male = _sex_codes(sex)
    n = len(dates)
    if len(male) != n:
        raise ValueError("sex and birth_date must have the same length")
    female = 1 - male
    default = TRADITIONS.index(_DEFAULT_TRADITION)
    tradition = _recode(nationality, _TRADITION_CODE, default=default, missing=default)
    foreign = _recode(citizenship, {"KGZ": 0}, default=1, missing=0).astype(bool)

    year, month, day = _ymd(dates)
    pin_present = ~foreign & (rng.random(n) >= PIN_NOT_ISSUED)
    pin_numbers = _pin_numbers(rng, male, dates, (year, month, day))
    pin = _arrow_strings(_ascii_matrix(_PIN_TEMPLATE, pin_numbers), pin_present)
    del pin_numbers, pin_present

    last_name = _SURNAMES.draw(rng, tradition, female)
    first_name = _FIRST_NAMES.draw(rng, tradition, female)
    patronymic = _PATRONYMICS.draw(rng, tradition, female, rng.random(n) >= PATRONYMIC_MISSING)

    birth_place = _take(TOWNS, rng.integers(0, len(TOWNS), n), rng.random(n) < BIRTH_PLACE_FILLED)

    age = as_of.year - year - ((month * 100 + day) > (as_of.month * 100 + as_of.day))
    kind = np.where(foreign, 2, np.where(age >= PASSPORT_AGE, 1, 0))
    doc_types = (
        DOCUMENT_TYPES.index("birth_certificate"),
        DOCUMENT_TYPES.index("passport"),
        DOCUMENT_TYPES.index("foreign_document"),
    )
    document_type = _take(DOCUMENT_TYPES, np.asarray(doc_types)[kind])
    document_number = _document_numbers(rng, kind)

    address_present = rng.random(n) < ADDRESS_FILLED
    address_index = (
        rng.integers(0, len(VILLAGES), n) * len(STREETS) + rng.integers(0, len(STREETS), n)
    ) * HOUSE_NUMBERS + rng.integers(0, HOUSE_NUMBERS, n)
    address = _address_vocabulary().take(pa.array(address_index, mask=~address_present))
    del address_index, address_present

    phone_present = rng.random(n) < PHONE_FILLED
    phone = _arrow_strings(_ascii_matrix(_PHONE_TEMPLATE, rng.integers(0, 10**8, n)), phone_present)

    columns = (
        pin, last_name, first_name, patronymic, birth_place, document_type, document_number,
        address, phone,
    )  # fmt: skip
    return pd.DataFrame(
        {
            name: pd.array(values, dtype=_STR)
            for name, values in zip(PERSON_COLUMNS, columns, strict=True)
        }
    )


def _document_numbers(rng: np.random.Generator, kind: np.ndarray) -> pa.Array:
    """Unique document numbers; ``kind`` 0 birth certificate, 1 passport, 2 foreign document."""
    parts = []
    certificates = np.flatnonzero(kind == 0)
    number = _distinct(rng, len(certificates), len(BIRTH_CERTIFICATE_SERIES) * 10**6)
    matrix = _ascii_matrix(_BIRTH_CERTIFICATE_TEMPLATE, number % 10**6)
    series = np.zeros((len(BIRTH_CERTIFICATE_SERIES), 4), dtype=np.uint8)  # NUL-padded letters
    for i, letters in enumerate(BIRTH_CERTIFICATE_SERIES):
        series[i, : len(letters)] = np.frombuffer(letters.encode("ascii"), dtype=np.uint8)
    matrix[:, 3:7] = series[number // 10**6]
    parts.append((certificates, _arrow_strings(matrix)))
    for code, template, space in ((1, _PASSPORT_TEMPLATE, 10**7), (2, _FOREIGN_TEMPLATE, 10**8)):
        rows = np.flatnonzero(kind == code)
        parts.append(
            (rows, _arrow_strings(_ascii_matrix(template, _distinct(rng, len(rows), space))))
        )
    return _interleave(len(kind), parts)


def pin_parts_valid(
    pin: ArrayLike, sex: ArrayLike, birth_date: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validity flags of PINs: (format ok, sex digit agrees, date digits agree), bool arrays.

    Format = exactly 14 ASCII digits; a missing PIN fails all three. The sex digit agrees when
    it is 1 for 'F' or 2 for 'M'; the date part agrees when digits 2-9 are ``birth_date`` as
    DDMMYYYY (an unknown sex or missing birth date never agrees). Works on any array-like of
    str (None/NaN = missing), e.g. a column read from an export.
    """
    text = pd.Series(pin, copy=False)
    if text.dtype != _STR:
        text = text.astype(_STR)
    format_ok = text.str.fullmatch(r"[0-9]{14}").to_numpy(dtype=bool, na_value=False)
    number = np.zeros(len(format_ok), dtype=np.int64)
    number[format_ok] = text[format_ok].astype(np.int64).to_numpy()

    expected_sex = _recode(sex, {"F": 1, "M": 2}, default=0, missing=0)
    sex_ok = format_ok & (number // 10**13 == expected_sex)

    dates = _as_dates(birth_date)
    year, month, day = _ymd(dates)
    expected_date = np.where(np.isnat(dates), -1, day * 10**6 + month * 10**4 + year)
    date_ok = format_ok & ((number // 10**5) % 10**8 == expected_date)
    return format_ok, sex_ok, date_ok
