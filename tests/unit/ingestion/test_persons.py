"""Person data of the synthetic registers: PINs, names, documents (ingestion.synthetic.persons)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ingestion.contract import DOCUMENT_TYPES, NATIONALITY
from ingestion.synthetic import names
from ingestion.synthetic.persons import (
    NATIONALITY_SHARES,
    PERSON_COLUMNS,
    TRADITION_BY_NATIONALITY,
    draw_nationality,
    make_persons,
    make_pins,
    pin_parts_valid,
)

AS_OF = dt.date(2025, 9, 15)


def _people(seed: int, n: int, foreign_share: float = 0.02) -> dict[str, np.ndarray]:
    """Random inputs: sex, birth dates 1955-2024, nationality, citizenship."""
    rng = np.random.default_rng(seed)
    return {
        "sex": rng.choice(np.array(["F", "M"], dtype=object), n),
        "birth_date": np.datetime64("1955-01-01")
        + rng.integers(0, 70 * 365, n).astype("timedelta64[D]"),
        "nationality": rng.choice(np.array(NATIONALITY, dtype=object), n),
        "citizenship": np.where(rng.random(n) < foreign_share, "UZB", "KGZ").astype(object),
    }


def _persons(seed: int, n: int, **kw: float) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    people = _people(seed, n, **kw)
    frame = make_persons(np.random.default_rng(seed), **people, as_of=AS_OF)
    return people, frame


def _ddmmyyyy(dates: np.ndarray) -> np.ndarray:
    return pd.Series(dates).dt.strftime("%d%m%Y").to_numpy()


# --- PIN ------------------------------------------------------------------------------------------


def test_pins_are_unique_and_valid_for_200k_people() -> None:
    people = _people(1, 200_000)
    # 30 000 people share one birth date: the sequence part must still keep them apart.
    people["birth_date"][:30_000] = np.datetime64("2010-01-01")
    pins = make_pins(np.random.default_rng(1), people["sex"], people["birth_date"])

    assert pins.dtype == object and len(pins) == 200_000
    assert len(np.unique(pins)) == len(pins)
    text = pd.Series(pins)
    assert text.str.fullmatch(r"[0-9]{14}").all()
    # Checked here independently of pin_parts_valid: sex digit and DDMMYYYY.
    assert (text.str[0].to_numpy() == np.where(people["sex"] == "F", "1", "2")).all()
    assert (text.str[1:9].to_numpy() == _ddmmyyyy(people["birth_date"])).all()

    format_ok, sex_ok, date_ok = pin_parts_valid(pins, people["sex"], people["birth_date"])
    assert format_ok.all() and sex_ok.all() and date_ok.all()


def test_pin_parts_valid_catches_each_defect() -> None:
    birth = np.datetime64("2011-03-07")
    pins = [
        "10703201112345",  # valid
        "20703201112345",  # male digit for a woman
        "10803201112345",  # wrong date
        "1070320111234",  # 13 digits
        "1070320111234a",  # not a digit
        "107032011123456",  # 15 digits
        None,  # not issued
        np.nan,
    ]
    n = len(pins)
    format_ok, sex_ok, date_ok = pin_parts_valid(
        np.array(pins, dtype=object), np.full(n, "F", dtype=object), np.full(n, birth)
    )
    assert format_ok.tolist() == [True, True, True, False, False, False, False, False]
    assert sex_ok.tolist() == [True, False, True, False, False, False, False, False]
    assert date_ok.tolist() == [True, True, False, False, False, False, False, False]
    for flags in (format_ok, sex_ok, date_ok):
        assert flags.dtype == bool


def test_pin_parts_valid_unknown_sex_or_date_never_agrees() -> None:
    pins = pd.Series(["20703201112345", "20703201112345"])
    sex = np.array([None, "M"], dtype=object)
    dates = np.array(["2011-03-07", "NaT"], dtype="datetime64[D]")
    format_ok, sex_ok, date_ok = pin_parts_valid(pins, sex, dates)
    assert format_ok.tolist() == [True, True]
    assert sex_ok.tolist() == [False, True]
    assert date_ok.tolist() == [True, False]


def test_make_pins_rejects_unknown_sex_and_missing_date() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="sex"):
        make_pins(rng, np.array(["F", "X"], dtype=object), np.full(2, np.datetime64("2010-01-01")))
    with pytest.raises(ValueError, match="birth date"):
        make_pins(rng, np.array(["F"], dtype=object), np.array(["NaT"], dtype="datetime64[D]"))


# --- make_persons ---------------------------------------------------------------------------------


def test_make_persons_columns_and_pins() -> None:
    people, frame = _persons(2, 50_000)
    assert tuple(frame.columns) == PERSON_COLUMNS
    assert len(frame) == 50_000
    assert frame.index.equals(pd.RangeIndex(50_000))

    pin = frame["pin"]
    assert pin.dropna().is_unique
    format_ok, sex_ok, date_ok = pin_parts_valid(pin, people["sex"], people["birth_date"])
    issued = pin.notna().to_numpy()
    assert (format_ok == issued).all() and (sex_ok == issued).all() and (date_ok == issued).all()
    citizen = people["citizenship"] == "KGZ"
    not_issued = 1 - issued[citizen].mean()
    assert 0 < not_issued < 0.01  # ~0.3 % of citizens have no PIN yet


def test_foreigners_have_no_pin_and_a_foreign_document() -> None:
    people, frame = _persons(3, 20_000, foreign_share=0.3)
    foreign = people["citizenship"] != "KGZ"
    assert foreign.sum() > 5000
    assert frame.loc[foreign, "pin"].isna().all()
    assert (frame.loc[foreign, "document_type"] == "foreign_document").all()
    assert frame.loc[foreign, "document_number"].str.fullmatch(r"FD[0-9]{8}").all()
    assert not (frame.loc[~foreign, "document_type"] == "foreign_document").any()


def test_documents_by_age_and_unique_numbers() -> None:
    people, frame = _persons(4, 50_000)
    birth = pd.Series(people["birth_date"])
    age = (
        AS_OF.year
        - birth.dt.year
        - ((birth.dt.month * 100 + birth.dt.day) > AS_OF.month * 100 + AS_OF.day)
    )
    citizen = people["citizenship"] == "KGZ"
    adult = (age >= 16).to_numpy()
    assert set(frame["document_type"]) <= set(DOCUMENT_TYPES)
    assert (frame.loc[citizen & adult, "document_type"] == "passport").all()
    assert (frame.loc[citizen & ~adult, "document_type"] == "birth_certificate").all()
    number = frame["document_number"]
    assert number.is_unique and number.notna().all()
    assert number[citizen & adult].str.fullmatch(r"ID[0-9]{7}").all()
    assert number[citizen & ~adult].str.fullmatch(r"KR-[IVX]{1,4} [0-9]{6}").all()


def test_female_names_take_the_female_forms() -> None:
    people, frame = _persons(5, 30_000)
    female = people["sex"] == "F"
    surnames = [pair for ns in names.NAMES.values() for pair in ns.surnames]
    patronymics = [pair for ns in names.NAMES.values() for pair in ns.patronymics]
    assert frame.loc[female, "last_name"].isin({f for _, f in surnames}).all()
    assert frame.loc[~female, "last_name"].isin({m for m, _ in surnames}).all()
    assert frame.loc[female, "patronymic"].dropna().isin({f for _, f in patronymics}).all()
    assert frame.loc[~female, "patronymic"].dropna().isin({m for m, _ in patronymics}).all()
    assert frame.loc[female, "patronymic"].dropna().str.endswith(("вна", "чна")).all()
    assert frame.loc[~female, "patronymic"].dropna().str.endswith(("вич", "ич")).all()
    # Some surname stems really change with sex (Асанов/Асанова), so the test has teeth.
    assert frame.loc[female, "last_name"].str.endswith("ова").any()
    assert not frame.loc[~female, "last_name"].str.endswith("ова").any()


def test_first_names_follow_the_tradition_of_the_nationality() -> None:
    people, frame = _persons(6, 20_000)
    tradition = pd.Series(people["nationality"]).map(TRADITION_BY_NATIONALITY).to_numpy()
    female = people["sex"] == "F"
    for name, ns in names.NAMES.items():
        rows = tradition == name
        assert frame.loc[rows & female, "first_name"].isin(ns.female).all()
        assert frame.loc[rows & ~female, "first_name"].isin(ns.male).all()


def test_missing_nationality_falls_back_to_kyrgyz_names() -> None:
    people = _people(7, 1000)
    people["nationality"] = np.full(1000, None, dtype=object)
    frame = make_persons(np.random.default_rng(7), **people, as_of=AS_OF)
    female = people["sex"] == "F"
    assert frame.loc[female, "first_name"].isin(names.KYRGYZ_FEMALE).all()
    assert frame.loc[~female, "first_name"].isin(names.KYRGYZ_MALE).all()


def test_fill_rates_and_formats() -> None:
    _, frame = _persons(8, 50_000)
    filled = frame.notna().mean()
    assert filled["last_name"] == filled["first_name"] == filled["document_number"] == 1
    assert filled["patronymic"] == pytest.approx(0.97, abs=0.01)
    assert filled["birth_place"] == pytest.approx(0.80, abs=0.01)
    assert filled["address"] == pytest.approx(0.90, abs=0.01)
    assert filled["phone"] == pytest.approx(0.60, abs=0.01)
    assert frame["birth_place"].dropna().isin(names.TOWNS).all()
    assert frame["phone"].dropna().str.fullmatch(r"\+996 7[0-9]{2} [0-9]{3} [0-9]{3}").all()
    address = frame["address"].dropna().str.extract(r"^с\. (.+), (.+), ([0-9]+)$")
    assert address.notna().all().all()
    assert address[0].isin(names.VILLAGES).all() and address[1].isin(names.STREETS).all()


def test_same_seed_same_frame_other_seed_other_frame() -> None:
    people = _people(9, 5000)
    first = make_persons(np.random.default_rng(42), **people, as_of=AS_OF)
    again = make_persons(np.random.default_rng(42), **people, as_of=AS_OF)
    other = make_persons(np.random.default_rng(43), **people, as_of=AS_OF)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)
    for column in ("pin", "last_name", "document_number", "phone"):
        assert not first[column].equals(other[column])


def test_empty_input_gives_an_empty_frame() -> None:
    frame = make_persons(
        np.random.default_rng(0),
        np.array([], dtype=object),
        np.array([], dtype="datetime64[D]"),
        np.array([], dtype=object),
        np.array([], dtype=object),
        AS_OF,
    )
    assert tuple(frame.columns) == PERSON_COLUMNS and len(frame) == 0


# --- nationality and name lists -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "codes"),
    [
        ("south", ["41703", "41705", "41706", "41721"]),
        ("north", ["41711", "41708"]),
        ("rest", ["41702", "41704", "41707", "41709"]),
    ],
)
def test_draw_nationality_shares_by_region(region: str, codes: list[str]) -> None:
    rng = np.random.default_rng(10)
    oblasts = rng.choice(np.array(codes, dtype=object), 100_000)
    drawn = draw_nationality(rng, oblasts)
    assert set(drawn) <= set(NATIONALITY)
    shares = pd.Series(drawn).value_counts(normalize=True)
    for code in NATIONALITY:
        expected = NATIONALITY_SHARES[region].get(code, 0.0)
        assert shares.get(code, 0.0) == pytest.approx(expected, abs=0.02), code
    assert sum(NATIONALITY_SHARES[region].values()) == pytest.approx(1.0)


def test_draw_nationality_accepts_district_codes_and_missing() -> None:
    rng = np.random.default_rng(11)
    drawn = draw_nationality(rng, np.array(["41703208"] * 20_000 + [None] * 20_000, dtype=object))
    south = pd.Series(drawn[:20_000]).value_counts(normalize=True)
    unknown = pd.Series(drawn[20_000:]).value_counts(normalize=True)
    assert south["uzbek"] == pytest.approx(0.27, abs=0.02)
    assert unknown["kyrgyz"] == pytest.approx(0.95, abs=0.02)  # the "rest" shares


def test_every_nationality_has_a_tradition() -> None:
    assert set(TRADITION_BY_NATIONALITY) == set(NATIONALITY)
    assert set(TRADITION_BY_NATIONALITY.values()) == set(names.TRADITIONS)


@pytest.mark.parametrize(
    ("name", "male", "female"),
    [
        ("Бакыт", "Бакытович", "Бакытовна"),
        ("Сергей", "Сергеевич", "Сергеевна"),
        ("Юрий", "Юрьевич", "Юрьевна"),
        ("Игорь", "Игоревич", "Игоревна"),
        ("Абдулла", "Абдуллаевич", "Абдуллаевна"),
        ("Кубаныч", "Кубанычевич", "Кубанычевна"),
        ("Павел", "Павлович", "Павловна"),
    ],
)
def test_patronymic_forms(name: str, male: str, female: str) -> None:
    assert names.patronymic_forms(name) == (male, female)


def test_name_lists_are_sized_and_distinct() -> None:
    for ns in names.NAMES.values():
        for values in (ns.male, ns.female, ns.surnames, ns.patronymics):
            assert 35 <= len(values) <= 45 and len(set(values)) == len(values)
    for values in (names.TOWNS, names.VILLAGES, names.STREETS):
        assert 25 <= len(values) <= 35 and len(set(values)) == len(values)
    assert names.female_surname("Асанов") == "Асанова"
    assert names.female_surname("Ковальский") == "Ковальская"
    assert names.female_surname("Шевченко") == "Шевченко"
