"""A published snapshot's `lookups` (sql/lookups.sql) held in memory by a server.

On allocation days parents look their numbers up by the thousand a minute. A lookup at the
snapshot's date reads one row of `lookups`; through DuckDB that is one query, about 0.7 ms of
parsing and planning for a single row, and the server's two cores spend most of their time
there. Held in memory, the same row is found by a binary search over the sorted keys in tens
of microseconds. The snapshot is immutable, so the copy never goes stale: a new publication
is a new snapshot and a new index (engine/store.py, `Reader`).

Memory at the national preset (1 M applications): about 60 MB. The keys are one fixed-width
byte array (the numbers as typed, normalised: `applications.number_key`); the places and
states are dictionary-encoded; the counts are 32-bit. It is loaded in batches, so loading
needs little more than the result.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# The row of lookup.PUBLISHED, in its order (lookup.PUBLISHED is made of them).
COLUMNS = ("application_number", "region", "locality", "birth_year", "registered_at", "status", "privilege",
           "queue_number", "privileged_queue_number", "segment_size", "ahead_extraordinary", "ahead_first",
           "ahead_none")
# What the status of an application not queued rests on (sql/status_facts.sql), in snapshots
# that keep it (published since 2026-12; NULL for a queued application).
STATUS_COLUMNS = ("status_since", "status_event", "status_opened_at", "status_extended_at", "status_kindergarten_id",
                  "status_name_kk", "status_name_ru", "status_annulments")
ENCODED = ("region", "locality", "status", "privilege", "status_event", "status_kindergarten_id", "status_name_kk",
           "status_name_ru")  # few distinct values
COUNTS = ("queue_number", "privileged_queue_number", "segment_size", "ahead_extraordinary", "ahead_first",
          "ahead_none")


class LookupIndex:
    def __init__(self, keys: np.ndarray, table: pa.Table):
        self.keys = keys  # sorted, UTF-8 bytes
        self.columns = [table.column(name).combine_chunks() for name in table.column_names]
        self.rows = len(keys)

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, batch_rows: int = 131_072, with_status: bool = False) -> LookupIndex:
        """The lookups of the snapshot `con` reads; `with_status`: with its STATUS_COLUMNS too."""
        names = COLUMNS + (STATUS_COLUMNS if with_status else ())
        reader = con.sql(f"SELECT number_key, {', '.join(names)} FROM lookups ORDER BY number_key").to_arrow_reader(
            batch_rows)
        keys, batches = [], []
        for batch in reader:
            keys.append(batch.column("number_key").cast(pa.binary()).to_numpy(zero_copy_only=False).astype("S"))
            arrays = []
            for name in names:
                array = batch.column(name)
                if name in ENCODED:
                    array = pc.dictionary_encode(array)
                elif name in COUNTS:
                    array = array.cast(pa.int32())
                arrays.append(array)
            batches.append(pa.RecordBatch.from_arrays(arrays, names=list(names)))
        if not batches:
            return cls(np.array([], dtype="S1"), pa.table({n: pa.array([], pa.null()) for n in names}))
        width = max(k.dtype.itemsize for k in keys)
        sorted_keys = np.concatenate([k.astype(f"S{width}") for k in keys])
        table = pa.Table.from_batches(batches).unify_dictionaries()
        if len(sorted_keys) > 1 and not bool(np.all(sorted_keys[:-1] < sorted_keys[1:])):
            order = np.argsort(sorted_keys, kind="stable")  # a collation that sorts otherwise than bytes
            sorted_keys, table = sorted_keys[order], table.take(pa.array(order))
        return cls(sorted_keys, table)

    def rows_of(self, key: str) -> list[tuple]:
        """The rows for a key (engine/lookup.py, `key`): one, none, or those of the published
        numbers that share it (engine/lookup.py, `the_one`)."""
        wanted = key.encode("utf-8")
        first, end = (int(np.searchsorted(self.keys, wanted, side=side)) for side in ("left", "right"))
        return [tuple(column[i].as_py() for column in self.columns) for i in range(first, end)]

    def row(self, key: str) -> tuple | None:
        """The one row for a key, or None (none, or several: numbers that share it)."""
        found = self.rows_of(key)
        return found[0] if len(found) == 1 else None

    @property
    def nbytes(self) -> int:
        return self.keys.nbytes + sum(c.nbytes for c in self.columns)
