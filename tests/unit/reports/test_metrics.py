"""The metric layer's SQL: composed per form, with named parameters for either engine."""

import datetime as dt

import duckdb
import pytest

from reports.metrics import METRICS, QUERIES, Parameters, bind, compose, dims_of

PARAMETERS = Parameters(
    as_of=dt.date(2025, 9, 15),
    academic_year="2025-2026",
    scope="KG",
    sectors=("school", "preschool"),
    operating_only=True,
    period_start=dt.date(2024, 9, 16),
)


def test_parameters_bind_by_name_on_both_engines():
    sql = "select :as_of as day, :scope in ('KG', 'x') as republic, '100%' as share"
    on_duckdb, values = bind(sql, PARAMETERS.values(), postgres=False)
    assert "$as_of" in on_duckdb and set(values) == {"as_of", "scope"}
    assert duckdb.execute(on_duckdb, values).fetchall() == [(dt.date(2025, 9, 15), True, "100%")]
    on_postgres, _ = bind(sql, PARAMETERS.values(), postgres=True)
    assert "%(as_of)s" in on_postgres and "'100%%'" in on_postgres  # psycopg's literal percent
    with pytest.raises(ValueError, match="no value"):
        bind("select :nothing", {}, postgres=False)


def test_sectors_travel_as_one_delimited_text():
    assert PARAMETERS.values()["sectors"] == ",school,,preschool,"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_groups_by_organization_and_the_dimensions_asked(name):
    query = QUERIES[name]
    sql = compose(query, query.dims[:2])
    assert sql.startswith("with\n") and "--" not in sql  # comments are dropped
    assert f"group by organization_id, {', '.join(query.dims[:2])}".rstrip(", ") in sql
    for measure in query.measures:
        assert f"as {measure}" in sql


def test_a_dimension_a_query_lacks_is_refused():
    with pytest.raises(ValueError, match="no dimension"):
        compose(QUERIES["teachers"], ["grade"])


def test_every_metric_filters_on_its_organizations_attributes():
    assert {"locality", "ownership", "district_code"} <= dims_of("learners")
    assert all(METRICS[name].query in QUERIES for name in METRICS)


def test_the_shared_ctes_are_read_whole_and_in_order():
    from reports.metrics import REUSABLE, _sql_file, shared_ctes

    ctes = shared_ctes()
    rebuilt = ",\n\n".join(f"{name} as (\n{body}\n)" for name, body in ctes.items())
    assert " ".join(rebuilt.split()) == " ".join(_sql_file("shared").split())
    assert set(REUSABLE) <= set(ctes) and "enrolled" in ctes


def test_a_reusable_cte_depends_on_the_reporting_date_alone():
    """A session keeps them per date: any other parameter would make them go stale."""
    from reports.metrics import _PARAMETER, REUSABLE, with_dependencies

    for name in REUSABLE:
        sql = with_dependencies(name)
        assert set(_PARAMETER.findall(sql)) == {"as_of"}, name
    learner_status = with_dependencies("learner_status")
    assert learner_status.startswith("with\nlast_events as (") and "enrolled" not in learner_status
