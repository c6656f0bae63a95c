"""What a carried form-inputs file replaces (``reports.extract``)."""

from __future__ import annotations

from reports.extract import FORM_INPUTS, LATEST_LOAD, RECORDS, Basis, delivered_keys


def test_every_table_of_the_form_inputs_is_replaced_by_record_or_is_a_classifier():
    """A table a carried file neither replaces by record nor rewrites would keep the rows of
    the day it was first copied: only the dbt project's classifiers (seeds) may stay."""
    kept = set(FORM_INPUTS) - set(RECORDS) - {LATEST_LOAD}
    assert kept and all(name.startswith("reference.") for name in kept), kept
    assert set(RECORDS) <= set(FORM_INPUTS)


def test_delivered_keys_are_named_as_the_table_names_them():
    sql = delivered_keys("staging.stg_emis__infrastructure_surveys", (3, 4), "warehouse.")
    assert 'delivered."org_id" as "organization_id"' in sql
    assert "from warehouse.raw.infrastructure as delivered" in sql
    assert sql.endswith("where delivered.load_id in (3, 4)")
    assert delivered_keys("snapshots.snp_emis__students", ()).endswith("in (null)")


def test_a_basis_recorded_by_another_version_is_none():
    recorded = {"built_through_load_id": 2, "project_fingerprint": "p", "base_load_id": 1,
                "method": "m"}  # fmt: skip
    assert Basis.of(recorded) == Basis(2, "p", 1, "m")
    assert Basis.of(recorded | {"left_out": []}) is None
    assert Basis.of(None) is None
