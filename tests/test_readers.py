"""Readers during publication: the API under load while updates publish again and again.

A `kezek serve` answers lookups from several client threads while `kezek update` publishes
two datasets in turn into its home. Every answer must be a 200, labelled with a snapshot
that was published (`X-Kezek-Snapshot`), and its content must be that snapshot's: the
queue number the dataset it was built from gives. The default run publishes 3 times;
KEZEK_SLOW=1 publishes 20 times.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request

from conftest import SLOW, run_kezek, serve
from engine import store
from engine.lookup import lookup
from test_crash import hand_dataset

PUBLICATIONS = 20 if SLOW else 3
CLIENTS = 6


def test_every_answer_during_publications_comes_whole_from_one_snapshot(tmp_path):
    # Two cities' exports that number the same applications differently: the second has
    # 30 applications registered before all of the first's.
    first = hand_dataset(tmp_path / "a", 400)
    second = hand_dataset(tmp_path / "b", 400, early=30)
    numbers = ["УО.2015.000003.1", "УО.2016.000100.1", "УО.2017.000398.1", "УО.2015.000021.1"]
    expected = {}
    for name, folder in (("a", first), ("b", second)):
        ref = tmp_path / f"ref-{name}"
        run_kezek("update", "--source", str(folder), home=ref, check=True)
        con = store.open_snapshot(store.current(ref).path)
        expected[name] = {n: lookup(con, n)["queue_number"] for n in numbers}
        con.close()
    assert expected["a"]["УО.2015.000003.1"] != expected["b"]["УО.2015.000003.1"]

    home = tmp_path / "home"
    run_kezek("update", "--source", str(first), home=home, check=True)
    published = {store.current(home).snapshot: "a"}
    answers: list[tuple[int, str | None, str, int | None]] = []
    stop = threading.Event()
    for base in serve(home):
        def client(k: int) -> None:
            i = k
            while not stop.is_set():
                number = numbers[i % len(numbers)]
                i += 1
                url = f"{base}/api/v1/applications/{urllib.parse.quote(number, safe='')}"
                try:
                    with urllib.request.urlopen(url, timeout=30) as r:
                        body = json.loads(r.read())
                        answers.append((r.status, r.headers.get("X-Kezek-Snapshot"), number, body["queue_number"]))
                except urllib.error.HTTPError as exc:
                    answers.append((exc.code, exc.headers.get("X-Kezek-Snapshot"), number, None))

        threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(CLIENTS)]
        for t in threads:
            t.start()
        try:
            for p in range(PUBLICATIONS):
                name, folder = ("b", second) if p % 2 == 0 else ("a", first)
                run_kezek("update", "--source", str(folder), home=home, check=True)
                published[store.current(home).snapshot] = name
            before = len(answers)
            while len(answers) < before + 50:  # answers from the last publication too
                threading.Event().wait(0.05)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)

    assert len(answers) > 200
    assert {status for status, *_ in answers} == {200}
    seen = {snapshot for _, snapshot, *_ in answers}
    assert seen <= set(published), seen - set(published)
    assert len(seen) >= 3  # the clients did read across publications
    wrong = [(s, n, q) for _, s, n, q in answers if q != expected[published[s]][n]]
    assert wrong == []
