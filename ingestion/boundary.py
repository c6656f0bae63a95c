"""The personal-data boundary: what of each register row the warehouse's raw layer keeps.

Names, documents, addresses, phones and birth places become presence flags; the PIN becomes
a keyed HMAC-SHA256 pseudonym, with its validity flags computed before hashing (format, sex
digit, date part). EMIS record ids are kept. Everything else is kept, typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingestion.contract import Column, Table
from ingestion.rules import q, typed_sql

HMAC_BLOCK_BYTES = 64  # SHA-256 block size


@dataclass(frozen=True)
class RawColumn:
    name: str
    type: str  # portable logical type: text, bigint, double, date, timestamp, boolean
    sql: str  # DuckDB expression over a validated staged row (text columns)


LOGICAL_TYPE = {
    "string": "text",
    "code": "text",
    "code_list": "text",
    "int": "bigint",
    "decimal": "double",
    "date": "date",
    "timestamp": "timestamp",
    "bool": "boolean",
}


def raw_columns(table: Table) -> list[RawColumn]:
    """The raw layer's columns for ``table``, in order, with how each is computed."""
    columns = [RawColumn("source_row_number", "bigint", "row_number")]
    for column in table.columns:
        if column.name == "pin":
            columns.extend(_pin_columns())
        elif column.personal:
            columns.append(
                RawColumn(f"has_{column.name}", "boolean", f"{q(column.name)} is not null")
            )
        else:
            columns.append(RawColumn(column.name, LOGICAL_TYPE[column.type], typed_sql(column)))
    return columns


def _pin_columns() -> list[RawColumn]:
    birth = typed_sql(Column("birth_date", "date"))
    return [
        RawColumn("has_pin", "boolean", "pin is not null"),
        RawColumn("is_pin_format_valid", "boolean",
                  "case when pin is not null then regexp_full_match(pin, '[0-9]{14}') end"),
        RawColumn("is_pin_sex_consistent", "boolean",
                  "case when pin is not null then left(pin, 1) = "
                  "case sex when 'F' then '1' when 'M' then '2' end end"),
        RawColumn("is_pin_birth_date_consistent", "boolean",
                  "case when pin is not null then coalesce(cast(try_strptime(substr(pin, 2, 8), "
                  f"'%d%m%Y') as date) = {birth}, false) end"),
        RawColumn("pin_pseudonym", "text", hmac_sql("pin")),
    ]  # fmt: skip


def hmac_sql(column: str) -> str:
    """HMAC-SHA256 of a text column under the key bound as $hmac_inner/$hmac_outer (hex pads).

    Computed inside DuckDB (sha256 over blobs) so a national register hashes in parallel; equal
    to Python's ``hmac.new(key, value.encode(), sha256).hexdigest()`` (tested).
    """
    inner = f"unhex(sha256(unhex($hmac_inner) || encode({q(column)})))"
    return f"sha256(unhex($hmac_outer) || {inner})"


def hmac_pads(key: bytes) -> dict[str, str]:
    """The hex inner and outer pads of an HMAC-SHA256 key, as query parameters."""
    if len(key) > HMAC_BLOCK_BYTES:
        raise ValueError("pseudonym keys longer than 64 bytes are not supported")
    block = key.ljust(HMAC_BLOCK_BYTES, b"\0")
    return {
        "hmac_inner": bytes(b ^ 0x36 for b in block).hex(),
        "hmac_outer": bytes(b ^ 0x5C for b in block).hex(),
    }
