"""`kezek audit` as interfaces.md describes it, the explanation catalogs, and determinism."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import run_kezek, write_dataset
from engine import store
from engine.audit import FINDING_TYPES, LANGUAGES, texts
from kezek.pipeline import update
from test_audit_scenarios import dataset, load

SCENARIOS = Path(__file__).parent / "scenarios"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A small dataset with findings of several types: the ratio breach scenario and more."""
    root = tmp_path_factory.mktemp("audit")
    tables, meta = dataset(load(SCENARIOS / "a7_ratio_breach.toml"))
    folder = write_dataset(root / "ds", tables, meta)
    home = root / "home"
    run_kezek("update", "--source", str(folder), home=home, check=True)
    return home


def test_audit_json_document(published):
    done = run_kezek("audit", "--json", home=published)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert list(doc["summary"]) == list(FINDING_TYPES)
    assert doc["summary"]["out_of_order_offer"] == 1 and doc["summary"]["ratio_breach"] == 1
    assert sum(doc["summary"].values()) == len(doc["findings"]) == 2
    for f in doc["findings"]:
        assert set(f) == {"type", "rule", "application_number", "bulletin_id", "kindergarten_id", "at", "evidence", "explanation"}
        assert set(f["explanation"]) == {"kk", "ru", "en"} and isinstance(f["evidence"], dict)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", f["at"])
    out = next(f for f in doc["findings"] if f["type"] == "out_of_order_offer")
    assert (out["rule"], out["application_number"], out["bulletin_id"], out["kindergarten_id"]) == ("A1", "P2", "B1", "K1")
    assert [p["application_number"] for p in out["evidence"]["passed_over"]] == ["G1", "G2", "G3"]


def test_audit_filters_by_type_and_prints_lines(published):
    doc = json.loads(run_kezek("audit", "--json", "--type", "ratio_breach", home=published).stdout)
    assert [f["type"] for f in doc["findings"]] == ["ratio_breach"] and doc["summary"] == {"ratio_breach": 1}
    done = run_kezek("audit", "--lang", "ru", home=published)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert len(lines) == 3 and "out_of_order_offer (A1)" in done.stdout and "Заявлению P2" in done.stdout
    assert lines[-1].startswith("2 findings")


def test_audit_of_an_unknown_type_is_bad_input(published):
    done = run_kezek("audit", "--type", "jaywalking", home=published)
    assert done.returncode == 2 and "unknown type" in done.stderr and "Traceback" not in done.stderr


def test_audit_without_a_snapshot(tmp_path):
    done = run_kezek("audit", home=tmp_path / "nothing")
    assert done.returncode != 0 and "Traceback" not in done.stderr


def test_an_unknown_ruleset_is_bad_input(tmp_path):
    tables, _ = dataset(load(SCENARIOS / "a1_out_of_order_offer.toml"))
    folder = write_dataset(tmp_path / "ds", tables, {"ruleset": "wild-west"})
    done = run_kezek("update", "--source", str(folder), home=tmp_path / "home")
    assert done.returncode == 2 and "wild-west" in done.stderr


def test_every_explanation_exists_in_every_language():
    catalogs = texts()
    keys = [set(catalogs[lang]) for lang in LANGUAGES]
    assert all(k == keys[0] for k in keys)
    for type_ in FINDING_TYPES:  # every type has a sentence, plain or per variant
        assert any(k == type_ or k.startswith(type_ + ".") for k in keys[0]), type_
    for key in keys[0]:  # the same placeholders in each language, one sentence each
        names = [sorted(re.findall(r"\{(\w+)\}", catalogs[lang][key])) for lang in LANGUAGES]
        assert names[0] == names[1] == names[2], key
        assert all(catalogs[lang][key].rstrip().endswith(".") for lang in LANGUAGES), key


def test_two_updates_of_the_same_data_publish_the_same_findings(tmp_path):
    tables, meta = dataset(load(SCENARIOS / "a3_free_choice.toml"))
    folder = write_dataset(tmp_path / "ds", tables, meta)
    out = []
    for run in ("one", "two"):
        update([str(folder)], tmp_path / run)
        con = store.open_snapshot(store.current(tmp_path / run).path)
        out.append([con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in ("findings", "legitimate", "audit_rules")])
        con.close()
    assert out[0] == out[1] and out[0][0]
