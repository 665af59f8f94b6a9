"""How closely each published queue follows simple orders (sql/order_comparison.sql): the
figures Kezek shows where it does not know a region's rules, computed once at publication
into the snapshot's `order_comparison`. Descriptive only: no finding comes from them."""

from __future__ import annotations

import duckdb

from engine import numbering


def create(con: duckdb.DuckDBPyConnection, target: str, birth: str) -> None:
    """`target` from the current database's `positions` and `applications`; `birth` names a
    relation of (application_number, birth_date), which the snapshot itself never keeps."""
    sql = numbering.sql("order_comparison").replace("{birth}", birth)
    con.execute(f"CREATE TABLE {target} AS {sql}")
