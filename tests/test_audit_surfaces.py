"""The audit where journalists meet it: /api/v1/findings and the Audit page.

The data are `demo:astana-2017` published by the real pipeline; what it must show is the
list of violations the demo planted on purpose (`DemoDataset.ground_truth`), so every
figure below is checked against something the audit did not compute.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

import i18n
from dashboard import server
from dashboard.views import audit as page
from engine import store
from engine.audit import FINDING_TYPES, LEGITIMATE_CHANNELS
from engine.rules import RULES
from test_api import template_of, validate
from test_dashboard import LANGS, ROOT, downloads, offered, read_csv, texts, values, visit

__all__ = ["downloads"]  # a fixture, imported for the tests of this module
PREFIX = "/api/v1"


@pytest.fixture(scope="module")
def home(demo_home) -> Path:
    return demo_home("astana-2017")


@pytest.fixture(scope="module")
def truth(demo_data) -> Counter:
    """(type, application_number, bulletin_id) of every violation the demo planted."""
    planted = demo_data("astana-2017").ground_truth.to_pylist()
    return Counter((t["type"], t["application_number"], t["bulletin_id"]) for t in planted)


@pytest.fixture(scope="module")
def api(home) -> TestClient:
    return TestClient(Starlette(routes=server.routes(home)))


@pytest.fixture(scope="module")
def con(home):
    con = store.open_snapshot(store.current(home).path)
    yield con
    con.close()


def get(api: TestClient, path: str, **params) -> dict:
    response = api.get(PREFIX + path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def every_finding(api: TestClient, **filters) -> list[dict]:
    """All pages of /findings, a few at a time."""
    items, offset = [], 0
    while True:
        body = get(api, "/findings", limit=7, offset=offset, **filters)
        items += body["items"]
        offset += 7
        if offset >= body["total"]:
            assert len(items) == body["total"]
            return items


def keys(items: list[dict]) -> Counter:
    return Counter((f["type"], f["application_number"], f["bulletin_id"]) for f in items)


# --- the API ----------------------------------------------------------------------------------

def test_the_api_lists_exactly_the_planted_violations(api, truth):
    items = every_finding(api)
    assert keys(items) == truth
    ids = [f["finding_id"] for f in items]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert [f["at"] for f in items] == sorted(f["at"] for f in items)  # in time order
    for f in items:
        assert f["month"] == f["at"][:7]
        assert set(f["explanation"]) == {"kk", "ru", "en"} and all(f["explanation"].values())
        assert isinstance(f["evidence"], dict) and f["evidence"]


@pytest.mark.parametrize("kind", FINDING_TYPES)
def test_the_type_filter_gives_that_type_only(api, truth, kind):
    assert keys(every_finding(api, type=kind)) == Counter({k: n for k, n in truth.items() if k[0] == kind})


def test_place_and_month_filters_narrow_the_list(api):
    everything = every_finding(api)
    district = next(f["district"] for f in everything if f["district"])
    month = everything[len(everything) // 2]["month"]
    kindergarten = next(f["kindergarten_id"] for f in everything if f["kindergarten_id"])
    for params, keep in (({"district": district}, lambda f: f["district"] == district),
                         ({"month": month}, lambda f: f["month"] == month),
                         ({"kindergarten_id": kindergarten}, lambda f: f["kindergarten_id"] == kindergarten),
                         ({"region": "Астана"}, lambda f: f["region"] == "Астана")):
        expected = [f["finding_id"] for f in everything if keep(f)]
        assert expected, params
        assert [f["finding_id"] for f in every_finding(api, **params)] == expected, params


def test_one_application_typed_any_way(api, truth):
    number = next(a for _, a, _ in truth if a)
    typed = number.lower().replace("у", "y").replace("о", "o")  # Latin look-alikes, lower case
    found = every_finding(api, application_number=f"  {typed} ")
    assert found and {f["application_number"] for f in found} == {number}
    assert keys(found) == Counter({k: n for k, n in truth.items() if k[1] == number})


def test_one_finding_by_its_id(api, home):
    items = every_finding(api)
    for f in (items[0], items[-1]):
        assert get(api, f"/findings/{f['finding_id']}") == f
    missing = api.get(f"{PREFIX}/findings/{items[-1]['finding_id'] + 1}")
    assert (missing.status_code, missing.json()) == (404, {"error": "not_found"})
    assert api.get(f"{PREFIX}/findings/0").status_code == 400
    # labelled with its snapshot and cacheable until the next publication, like every answer
    snapshot = store.current(home).snapshot
    response = api.get(f"{PREFIX}/findings/{items[0]['finding_id']}")
    assert response.headers["X-Kezek-Snapshot"] == snapshot and response.headers["ETag"] == f'W/"{snapshot}"'
    again = api.get(f"{PREFIX}/findings/{items[0]['finding_id']}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_summary_counts_by_type_and_month_and_the_lawful_channels(api, truth, con):
    summary = get(api, "/stats/findings")
    planted = Counter(kind for kind, _, _ in truth.elements())
    assert summary["by_type"] == {kind: planted.get(kind, 0) for kind in FINDING_TYPES}
    assert summary["findings"] == sum(truth.values()) == sum(summary["by_month"].values())
    staff = con.execute("SELECT count(*) FROM events WHERE event = 'referral_issued' AND channel = 'staff_child'").fetchone()[0]
    assert summary["legitimate"]["staff_child"] == staff > 0  # never a finding
    assert set(summary["legitimate"]) == set(LEGITIMATE_CHANNELS)
    by_type = get(api, "/stats/findings", type="underage")
    assert by_type["by_type"] == {"underage": planted["underage"]} and by_type["findings"] == planted["underage"]


@pytest.mark.parametrize("query, parameter", [
    ("type=bribery", "type"), ("month=2017-13", "month"), ("month=April", "month"),
    ("application_number=%3Cscript%3E", "application_number"), ("limit=0", "limit"), ("colour=red", "colour"),
])
def test_bad_filters_are_named(api, query, parameter):
    response = api.get(f"{PREFIX}/findings?{query}")
    assert response.status_code == 400
    assert (response.json()["error"], response.json()["parameter"]) == ("bad_request", parameter)


@pytest.mark.parametrize("value", ["' OR '1'='1", "Есиль'; DROP TABLE findings; --", "%"])
def test_sql_fragments_in_filters_are_just_values(api, truth, value):
    assert get(api, "/findings", kindergarten_id=value)["total"] == 0
    for param in ("region", "district"):  # a place the data do not hold: refused with those they do
        response = api.get(PREFIX + "/findings", params={param: value})
        assert (response.status_code, response.json()["parameter"]) == (400, param)
    assert get(api, "/findings")["total"] == sum(truth.values())


def test_answers_with_findings_match_the_description(api):
    doc = api.get(PREFIX + "/openapi.json").json()
    first = every_finding(api)[0]["finding_id"]
    for path in ("/findings?limit=1000", f"/findings/{first}", "/stats/findings"):
        validate(doc, template_of(doc, path), 200, api.get(PREFIX + path).json())


def test_the_description_documents_the_audit_routes(api):
    paths = api.get(PREFIX + "/openapi.json").json()["paths"]
    for path in ("/findings", "/findings/{finding_id}", "/stats/findings"):
        assert PREFIX + path in paths
    params = {p["name"] for p in paths[PREFIX + "/findings"]["get"]["parameters"]}
    assert {"type", "rule", "region", "district", "kindergarten_id", "month", "application_number"} <= params


def test_the_findings_as_csv_are_the_json_items_with_their_codes(api):
    import csv
    import io

    items = get(api, "/findings", limit=1000)["items"]
    response = api.get(PREFIX + "/findings", params={"limit": 1000, "format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))
    assert [r["finding_id"] for r in rows] == [str(f["finding_id"]) for f in items]
    assert [r["type"] for r in rows] == [f["type"] for f in items]  # codes, as in JSON
    assert [json.loads(r["evidence"]) for r in rows] == [f["evidence"] for f in items]
    assert [json.loads(r["explanation"]) for r in rows] == [f["explanation"] for f in items]

def test_every_rule_a_finding_cites_has_its_text_on_the_page(con):
    cited = {r for (r,) in con.execute("SELECT DISTINCT rule FROM findings UNION SELECT DISTINCT rule FROM legitimate "
                                       "UNION SELECT json_extract_string(evidence, '$.block_rule') FROM findings")
             .fetchall() if r}
    from engine import rules

    assert cited - {"—"} <= set(rules.RULES), cited - set(rules.RULES)
    for rule in cited - {"—"}:  # the page shows the catalogue's text of that rule
        assert all(page.rule_text(rule, lang) == rules.RULES[rule].text[lang] for lang in ("kk", "ru", "en"))


# --- the page ---------------------------------------------------------------------------------

def shown_rows(at, lang: str):
    """The list of findings as the page draws it (the table with a column of explanations)."""
    column = i18n.t("column.explanation", lang)
    return next(d.value for d in at.dataframe if "explanation" in d.value.columns or column in d.value.columns)


@pytest.mark.parametrize("lang", LANGS)
def test_the_page_shows_every_planted_violation_by_type(home, truth, monkeypatch, downloads, lang):
    at = visit(home, monkeypatch, page="audit", lang=lang)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[i18n.t("audit.findings", lang)] == i18n.number(sum(truth.values()), lang)
    planted = Counter(kind for kind, _, _ in truth.elements())
    per_type = at.dataframe[0].value
    assert per_type["finding"].tolist() == [page.type_label(k, lang) for k in FINDING_TYPES]
    assert per_type["findings"].tolist() == [planted.get(k, 0) for k in FINDING_TYPES]
    listed = shown_rows(at, lang)
    assert len(listed) == sum(truth.values())
    name, data = offered(downloads, "findings")
    assert name.startswith(f"findings_{lang}_")  # no filter chosen
    csv = read_csv(data, lang, "finding_id", "at", "type", "finding", "rule", "application_number", "bulletin_id",
                   "kindergarten_id", "kindergarten", "region", "district", "explanation", "evidence")
    words = Counter((page.type_label(kind, lang), number, bulletin) for kind, number, bulletin in truth.elements())
    assert Counter((kind, number or None, bulletin or None)  # an empty cell: none; the type in words
                   for kind, number, bulletin in zip(csv["type"], csv["application_number"], csv["bulletin_id"])) == words
    assert all(json.loads(e) for e in csv["evidence"])
    assert "birth_date" not in " ".join(csv.columns) and "birth_date" not in " ".join(csv["evidence"])


@pytest.mark.parametrize("lang", LANGS)
def test_a_type_chosen_in_the_url_narrows_the_page(home, truth, monkeypatch, lang):
    at = visit(home, monkeypatch, page="audit", lang=lang, type="overbooked_bulletin")
    wanted = sum(n for k, n in truth.items() if k[0] == "overbooked_bulletin")
    assert {m.label: m.value for m in at.metric}[i18n.t("audit.findings", lang)] == i18n.number(wanted, lang)
    assert len(shown_rows(at, lang)) == wanted
    assert at.selectbox(key=page.TYPE).value == "overbooked_bulletin"
    assert at.query_params["type"] == "overbooked_bulletin"


@pytest.mark.parametrize("lang", LANGS)
def test_a_finding_opens_to_its_explanation_rule_and_evidence(home, api, monkeypatch, lang):
    f = next(f for f in every_finding(api) if f["type"] == "out_of_order_offer")
    at = visit(home, monkeypatch, page="audit", lang=lang, finding=str(f["finding_id"]))
    assert at.selectbox(key=page.FINDING).value == str(f["finding_id"])
    shown = texts(at)
    assert f["explanation"][lang] in shown
    assert RULES["A1"].text[lang] in shown and i18n.t("audit.rule", lang, rule="A1") in shown
    evidence = next(d.value for d in at.dataframe if list(d.value.columns) == ["item", "value"])
    # labelled in the page's language, in the audit's order; the applications passed over by number
    assert evidence["item"].tolist() == [i18n.t(f"evidence.{key}", lang) for key in f["evidence"]]
    passed = dict(zip(evidence["item"], evidence["value"]))[i18n.t("evidence.passed_over", lang)]
    assert [p["application_number"] for p in f["evidence"]["passed_over"]] == re.findall(r"\S+(?= \(№)", passed)


# What a reader must never see in a finding's evidence: the audit's keys and codes (snake_case),
# a JSON text, a date in ISO form where the language writes it otherwise.
RAW = re.compile(r"\b[a-z]+(_[a-z]+)+\b|[{}\[\]\"]|\b\d{4}-\d{2}-\d{2}\b")


def evidence_keys() -> set[str]:
    """Every item the audit's SQL writes into a finding's evidence: the names of its
    json_object(name, value, …) calls."""
    keys = set()
    for sql in (ROOT / "engine" / "audit" / "sql").glob("*.sql"):
        text = sql.read_text(encoding="utf-8")
        for start in (m.end() for m in re.finditer(r"json_object\(", text)):
            depth, parts, part = 0, [], ""
            for ch in text[start:]:
                if ch == ")" and depth == 0:
                    break
                depth += (ch in "([{") - (ch in ")]}")
                if ch == "," and depth == 0:
                    parts.append(part.strip()); part = ""
                else:
                    part += ch
            parts.append(part.strip())
            keys |= {k.strip("'") for k in parts[::2]}
    return keys


def test_every_item_of_evidence_has_a_name_in_every_language():
    from dashboard.components import evidence

    keys = evidence_keys()
    assert {"passed_over_count", "seats", "block_until", "registered_before"} <= keys  # the parse finds them
    assert keys - set(evidence.ITEM) - set(evidence.WITH_UNIT.values()) == set()  # a unit is said with its value


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_finding_s_evidence_reads_as_labelled_values(api, lang):
    from dashboard.components import evidence

    seen = set()
    for f in every_finding(api):
        table = evidence.rows(f["evidence"], lang)
        assert len(table) == len(set(f["evidence"]) - set(evidence.WITH_UNIT.values())), f["type"]
        for item, value in zip(table["item"], table["value"]):
            assert not RAW.search(item) and not RAW.search(value), (f["type"], item, value)
            assert re.search(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]", item), (f["type"], item)  # a word, not a key
        seen.add(f["type"])
    assert len(seen) >= 10  # the demo plants most kinds of finding


@pytest.mark.parametrize("lang", LANGS)
def test_lawful_out_of_order_referrals_are_shown_apart(home, api, monkeypatch, lang):
    lawful = get(api, "/stats/findings")["legitimate"]
    at = visit(home, monkeypatch, page="audit", lang=lang)
    metrics = {m.label: m.value for m in at.metric}
    for channel in LEGITIMATE_CHANNELS:
        assert metrics[page.channel_label(channel, lang)] == i18n.number(lawful[channel], lang)
    assert metrics[i18n.t("audit.legitimate_total", lang)] == i18n.number(sum(lawful.values()), lang)
    listed = at.dataframe[-1].value
    assert len(listed) == min(page.LEGITIMATE_SHOWN, sum(lawful.values()))
    assert set(listed["rule"]) <= {"A3", "A6", "A9"}


def test_a_publication_made_before_the_audit_says_so(home, tmp_path, monkeypatch):
    """A snapshot without the audit's tables (published by an older Kezek): the API answers
    404 on the audit routes, the page says how to publish anew."""
    import duckdb
    import shutil

    old = tmp_path / "old"
    shutil.copytree(home, old)
    path = store.current(old).path
    with duckdb.connect(str(path)) as con:
        for table in ("findings", "legitimate", "audit_rules", "audit_position_offsets"):
            con.execute(f"DROP TABLE {table}")
    client = TestClient(Starlette(routes=server.routes(old)))
    for path in ("/findings", "/findings/1", "/stats/findings"):
        response = client.get(PREFIX + path)
        assert (response.status_code, response.json()) == (404, {"error": "not_found"}), path
    assert client.get(PREFIX + "/kindergartens").status_code == 200  # the rest is served as before
    for lang in LANGS:
        at = visit(old, monkeypatch, page="audit", lang=lang)
        assert [i.value for i in at.info] == [i18n.t("audit.not_published", lang)]


def test_the_months_chart_shows_every_month_with_whole_number_ticks(home, con, monkeypatch):
    """Months without findings are bars of 0, not gaps; the count axis has a tick per whole
    number, never `0 1 1 2 2` (dashboard/charts.py)."""
    first, last = con.execute("SELECT min(\"at\"), max(\"at\") FROM findings").fetchone()
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    with_findings = {m for (m,) in con.execute("SELECT DISTINCT strftime(\"at\", '%Y-%m') FROM findings").fetchall()}
    assert len(with_findings) < months  # the demo has months without findings
    at = visit(home, monkeypatch, page="audit", lang="en", type="underage")
    chart = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.alt == i18n.t("audit.by_month_alt", "en"))
    bars = dict(zip(values(chart["data"][0]["x"]), values(chart["data"][0]["y"])))
    assert len(bars) == months and list(bars) == sorted(bars)  # every month, in order
    underage = dict(con.execute("SELECT strftime(\"at\", '%Y-%m'), count(*) FROM findings WHERE type = 'underage' "
                                "GROUP BY ALL").fetchall())
    assert bars == {m: underage.get(m, 0) for m in bars}  # zeros where there were none
    axis = chart["layout"]["yaxis"]
    assert (axis["tickformat"], axis["dtick"], axis["tick0"]) == (",d", 1, 0)  # 0 1 2 …, each once
