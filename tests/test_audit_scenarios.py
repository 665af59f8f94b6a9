"""Scenario tests of the queue rules, as data (tests/scenarios/*.toml).

Each scenario is a small dataset — kindergartens, bulletins, applications, events — that a
non-programmer can check against the rule text, with the expected queue numbers, findings
and legitimate referrals. This test writes each one as a real dataset folder, runs it
through `kezek update` (`kezek.pipeline.update`) and compares what the published snapshot
says. See tests/scenarios/README.md for the format.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from conftest import write_dataset
from engine import schema, store
from engine.audit import FINDING_TYPES
from engine.lookup import lookup
from engine.schema import EVENT_STATUS
from kezek.pipeline import update

FOLDER = Path(__file__).parent / "scenarios"
SCENARIOS = sorted(FOLDER.glob("*.toml"))
RULE_IDS = [f"Q{i}" for i in range(1, 6)] + [f"E{i}" for i in range(1, 5)] + [f"A{i}" for i in range(1, 10)]
EVENT_KEYS = {"bulletin": "bulletin_id", "kindergarten": "kindergarten_id", "channel": "channel",
              "privilege": "privilege", "reason": "reason"}


def load(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def parse_events(text: str) -> list[dict]:
    """Lines `YYYY-MM-DD HH:MM[:SS]  NUMBER  EVENT  key=value …`; `#` starts a comment."""
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        day, time, number, event, *pairs = line.split()
        row = {"application_number": number, "at": f"{day} {time}", "event": event}
        for pair in pairs:
            key, value = pair.split("=", 1)
            row[EVENT_KEYS[key]] = value
        out.append(row)
    return out


def dataset(scenario: dict) -> tuple[dict[str, list[dict]], dict]:
    """The scenario as tables of the open-data format, and its dataset.json."""
    region = scenario.get("region", "Астана")
    kgs = [{"kindergarten_id": k["id"], "name_ru": f"Детский сад {k['id']}", "region": k.get("region", region),
            "locality": k.get("locality"), "ownership": k.get("ownership", "state"), "languages": k.get("languages", "kk|ru")}
           for k in scenario["kindergartens"]]
    bulletins = {b["id"]: b for b in scenario.get("bulletins", [])}
    vacancies = [{"bulletin_id": b["id"], "kindergarten_id": b["kindergarten"], "announced_at": b["announced_at"],
                  "birth_year": b["birth_year"], "language": b["language"], "seats": b["seats"]} for b in bulletins.values()]
    apps = scenario["applications"]
    events = []
    for a in apps:  # every application is registered when it says, with its privilege at the time
        events.append({"application_number": a["number"], "at": a["registered"], "event": "registered",
                       "privilege": a.get("registered_privilege", a.get("privilege", "none"))})
    events += parse_events(scenario.get("events", ""))
    last_referral = {}
    for e in sorted(events, key=lambda e: e["at"]):
        if e["event"] == "referral_issued" and "kindergarten_id" not in e and e.get("bulletin_id") in bulletins:
            e["kindergarten_id"] = bulletins[e["bulletin_id"]]["kindergarten"]
        if e["event"] == "referral_issued":
            last_referral[e["application_number"]] = e.get("kindergarten_id")
        if e["event"] == "enrolled" and "kindergarten_id" not in e:
            e["kindergarten_id"] = last_referral.get(e["application_number"])
    rows = []
    for a in apps:
        own = sorted((e for e in events if e["application_number"] == a["number"] and e["event"] in EVENT_STATUS),
                     key=lambda e: e["at"])
        privileges = [e for e in events if e["application_number"] == a["number"] and e.get("privilege")]
        rows.append({
            "application_number": a["number"], "region": a.get("region", region), "locality": a.get("locality"),
            "birth_date": a["born"], "registered_at": a["registered"],
            "privilege": a.get("privilege", sorted(privileges, key=lambda e: e["at"])[-1]["privilege"]),
            "language": a.get("language"),
            "status": a.get("status", EVENT_STATUS[own[-1]["event"]]),
            "status_at": a.get("status_at", own[-1]["at"]),
        })
    tables = {"kindergartens": kgs, "vacancies": vacancies, "applications": rows, "events": events}
    if "positions" in scenario:
        tables["positions"] = [
            dict(zip(("as_of", "application_number", "queue_number", "privileged_queue_number", "queue_id"),
                     (None if v == "-" else v for v in line.split("#", 1)[0].split())))
            for line in scenario["positions"].splitlines() if line.split("#", 1)[0].strip()
        ]
    meta = {k: scenario[k] for k in ("ruleset", "exported_at") if k in scenario}
    return tables, meta


def series(scenario: dict, folder: Path) -> Path:
    """A scenario with `snapshots`: the list as published again and again, as a series folder
    (open-data-format.md 1.1). Each snapshot lists `NUMBER  YYYY-MM-DD HH:MM  PRIVILEGE` and
    may publish numbers, `NUMBER  QUEUE_NUMBER [QUEUE_ID]` (their day: the snapshot's); the
    kindergartens and bulletins are in the first snapshot only."""
    tables, meta = dataset({**scenario, "events": "", "applications": [], "bulletins": scenario.get("bulletins", [])})
    born = {a["number"]: a["born"] for a in scenario["applications"]}
    region = scenario.get("region", "Астана")
    for i, snapshot in enumerate(scenario["snapshots"]):
        listed = [line.split("#", 1)[0].split() for line in snapshot["list"].splitlines() if line.split("#", 1)[0].strip()]
        day = {"applications": [{"application_number": n, "region": region, "birth_date": born[n],
                                 "registered_at": f"{d} {t}", "privilege": p, "status": "queued"} for n, d, t, p in listed]}
        if "positions" in snapshot:
            day["positions"] = [dict(zip(("application_number", "queue_number", "queue_id"), fields)) for fields in
                                (line.split("#", 1)[0].split() for line in snapshot["positions"].splitlines()
                                 if line.split("#", 1)[0].strip())]
        if i == 0:
            day |= {"kindergartens": tables["kindergartens"], "vacancies": tables["vacancies"]}
        write_dataset(folder / snapshot["at"], day)
    if meta:
        (folder / "dataset.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return folder


def publish(path: Path, tmp_path: Path):
    scenario = load(path)
    if "snapshots" in scenario:
        source = series(scenario, tmp_path / "series")
    else:
        tables, meta = dataset(scenario)
        source = write_dataset(tmp_path / "ds", tables, meta or None)
    home = tmp_path / "home"
    update([str(source)], home)
    return scenario, store.open_snapshot(store.current(home).path)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path, tmp_path):
    scenario, con = publish(path, tmp_path)
    expected = scenario.get("expected", {})
    got = con.execute("""SELECT type, rule, application_number, bulletin_id, evidence FROM findings ORDER BY finding_id""").fetchall()
    want = [(f["type"], f["rule"], f.get("application"), f.get("bulletin")) for f in expected.get("findings", [])]
    assert Counter(g[:4] for g in got) == Counter(want), "\n".join(
        ["findings differ; got:"] + [f"  {g}" for g in got] + ["expected:"] + [f"  {w}" for w in want])
    for f in expected.get("findings", []):  # evidence the scenario spells out
        for key, value in f.get("evidence", {}).items():
            matches = [json.loads(g[4]) for g in got if g[:4] == (f["type"], f["rule"], f.get("application"), f.get("bulletin"))]
            assert any(m.get(key) == value for m in matches), (f, key, matches)
    legit = con.execute("SELECT application_number, channel FROM legitimate").fetchall()
    assert Counter(legit) == Counter((x["application"], x["channel"]) for x in expected.get("legitimate", [])), legit
    for day, numbers in expected.get("numbers", {}).items():
        for number, queue_number in numbers.items():
            doc = lookup(con, number, dt.date.fromisoformat(day))
            got_number = doc["queue_number"] if doc and doc["in_queue"] else "-"
            assert got_number == queue_number, (day, number, doc)
    # every explanation is one filled sentence in each language
    # and says a status or an event in the words of its language, never by its code, and a date
    # as the language writes it (01.08.2018 in Kazakh and Russian)
    codes = set(schema.STATUS) | set(schema.EVENT)
    for row in con.execute("SELECT explanation_kk, explanation_ru, explanation_en FROM findings").fetchall():
        for text in row:
            assert text and not re.search(r"\{\w+\}", text) and text.endswith("."), text
        for text in row[:2]:
            assert not set(re.findall(r"\b[a-z_]+\b", text)) & codes, text
            assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), text


def test_every_rule_and_finding_type_has_a_scenario():
    rules, types = set(), set()
    for path in SCENARIOS:
        scenario = load(path)
        assert scenario.get("source") and scenario.get("title") and "rules" in scenario, path.name
        rules.update(scenario["rules"])
        types.update(f["type"] for f in scenario.get("expected", {}).get("findings", []))
    assert [r for r in RULE_IDS if r not in rules] == []
    assert [t for t in FINDING_TYPES if t not in types] == []


def test_scenario_rule_ids_exist():
    known = set(RULE_IDS)
    for path in SCENARIOS:
        unknown = set(load(path)["rules"]) - known
        assert not unknown, (path.name, unknown)
