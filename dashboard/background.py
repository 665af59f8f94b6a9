"""Work a first visit asks for and does not wait for: one thread that does it, one piece at a
time, in the order asked (dashboard/recent_history.py: an application's history;
dashboard/light_page.py: a segment's simulated futures).

A piece is named by the snapshot it is for and a key; asked for twice while it waits, it is done
once. It is done on a cursor of the snapshot served when its turn comes, and skipped when a
newer publication is served by then (the visits to the new one ask for their own). Past
MAX_WAITING pieces waiting, a request is not queued: the page still says the rest comes later,
and a later visit asks again.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from dashboard import context
from engine.store import SnapshotUnavailable

log = logging.getLogger("kezek.background")

MAX_WAITING = 20_000
# While parents' first visits keep coming, the worker gives way to them: after a piece that took
# d seconds it rests as long again (at least REST), so the visits' answers get most of the
# cores and the pieces still progress. BUSY: a visit within this many seconds counts as coming.
REST, BUSY = 0.05, 1.0


class Worker:
    def __init__(self):
        self._last_visit = 0.0  # time.monotonic() of the last visit that asked to be answered first
        self._waiting: queue.Queue = queue.Queue(MAX_WAITING)
        self._asked: set[tuple] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def ask(self, home: Path, snapshot: str, key: tuple, work: Callable[[duckdb.DuckDBPyConnection], object]) -> None:
        """Do `work(cursor)` on a cursor of `snapshot` (published in `home`), once per (snapshot, key)."""
        named = (snapshot, *key)
        with self._lock:
            if named in self._asked or self._waiting.full():
                return
            self._asked.add(named)
            self._waiting.put_nowait((home, named, work))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kezek-background", daemon=True)
                self._thread.start()
                # A thread inside DuckDB when the interpreter ends aborts the process: the
                # piece under way is finished first, and what waits is dropped.
                atexit.register(self.stop)

    def visited(self) -> None:
        """A visit is being answered now: the worker gives way for a while."""
        self._last_visit = time.monotonic()

    def settle(self) -> None:
        """Wait until every piece asked for is done (for tests and benchmarks)."""
        self._waiting.join()

    def stop(self) -> None:
        """Drop what waits, let the piece under way finish, and end the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
            while True:
                try:
                    self._waiting.get_nowait()
                    self._waiting.task_done()
                except queue.Empty:
                    break
            self._asked.clear()
        if thread is not None:
            self._waiting.put(None)
            thread.join(timeout=60)

    def _run(self) -> None:
        while True:
            piece = self._waiting.get()
            if piece is None:  # stop()
                self._waiting.task_done()
                return
            home, named, work = piece
            start = time.monotonic()
            try:
                self._do(home, named[0], work)
            except Exception:  # the key is never logged: it may hold what a parent typed
                log.exception("background: a piece of work failed")
            finally:
                with self._lock:
                    self._asked.discard(named)
                self._waiting.task_done()
            if time.monotonic() - self._last_visit < BUSY:
                time.sleep(max(REST, time.monotonic() - start))

    @staticmethod
    def _do(home: Path, snapshot: str, work: Callable[[duckdb.DuckDBPyConnection], object]) -> None:
        try:
            cur, serving = context.reader(home).open()
        except SnapshotUnavailable:
            return
        try:
            if serving.snapshot == snapshot:
                work(cur)
        finally:
            cur.close()


worker = Worker()
