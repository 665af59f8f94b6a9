"""The statements of an export, run WORKERS at a time (kezek/export.py).

Each runs on its own cursor of one in-memory DuckDB database with the snapshot attached
read-only, and each with one DuckDB thread: a file's bytes do not depend on how many run
beside it. DuckDB releases the GIL while a statement runs, so the threads write in parallel
while the caller's thread checksums and zips what is already written. Tables sorted once for
two files are staged in the in-memory database, which every cursor sees.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

import duckdb

WORKERS = 2  # the statements at once: a file's bytes do not depend on it
SNAPSHOT = "snapshot"  # the attached snapshot's name in the work database
STAGED = "memory.main"  # where the tables sorted once for two files are kept while written


@dataclass(eq=False)
class Job:
    run: str | Callable[[duckdb.DuckDBPyConnection], object]  # a statement, or what runs them on a cursor
    after: tuple[Job, ...] = ()  # the jobs that must have ended first
    done: Future = field(default_factory=Future, repr=False)  # its result, or why it failed


def literal(text: object) -> str:
    return "'" + str(text).replace("'", "''") + "'"


@contextmanager
def running(snapshot_file: str, jobs: list[Job], workers: int = WORKERS) -> Iterator[None]:
    """Run `jobs` on `workers` threads, each taking the first job in the list whose `after`
    have ended; wait on a job's `done` to use what it wrote. Leaving the block waits for
    every job and raises the first failure; after a failure no further job starts."""
    work = duckdb.connect()
    work.execute("SET threads = 1")  # one DuckDB thread per statement: the same bytes for the same snapshot
    # where a sort too large for memory spills: beside the snapshot, as for a connection to its file
    work.execute(f"SET temp_directory = {literal(f'{snapshot_file}.tmp')}")
    work.execute(f"ATTACH {literal(snapshot_file)} AS {SNAPSHOT} (READ_ONLY)")
    pending, failed, changed = list(jobs), [], threading.Condition()
    cursors = [work.cursor() for _ in range(workers)]

    def take() -> Job | None:
        with changed:
            while pending and not failed:
                job = next((j for j in pending if all(d.done.done() for d in j.after)), None)
                if job is not None:
                    pending.remove(job)
                    return job
                changed.wait()
            for job in pending:  # never started: their waiters learn why
                job.done.set_exception(failed[0])
            pending.clear()
            return None

    def ended(job: Job | None, error: BaseException | None) -> None:
        with changed:
            if error is not None:
                failed.append(error)
            if job is not None and error is not None:
                job.done.set_exception(error)
            elif job is not None:
                job.done.set_result(None)
            changed.notify_all()

    def worker(cursor: duckdb.DuckDBPyConnection) -> None:
        try:
            cursor.execute(f"USE {SNAPSHOT}")
        except BaseException as exc:  # noqa: BLE001 - as below
            ended(None, exc)
        while (job := take()) is not None:
            try:
                cursor.execute(job.run) if isinstance(job.run, str) else job.run(cursor)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                ended(job, exc)
            else:
                ended(job, None)

    threads = [threading.Thread(target=worker, args=(c,), name=f"export-{i}") for i, c in enumerate(cursors)]
    for thread in threads:
        thread.start()
    try:
        yield
    except BaseException as exc:
        ended(None, exc)
        for cursor in cursors:
            cursor.interrupt()
        raise
    finally:
        for thread in threads:
            thread.join()
        for cursor in cursors:
            cursor.close()
        work.close()
    for job in jobs:
        job.done.result()  # the first failure, if any
