"""Every page and the main API routes on the `almaty` preset (50 000 children in a unified
city queue), in Kazakh, Russian and English."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from dashboard.server import routes
from engine import store
from engine.lookup import lookup
from test_dashboard import LANGS, PAGES, texts, visit


@pytest.fixture(scope="module")
def almaty(demo_home):
    home = demo_home("almaty")
    con = store.open_snapshot(store.current(home).path)
    number, queue_number = con.execute(
        "SELECT application_number, queue_number FROM queue ORDER BY segment_size DESC, queue_number DESC LIMIT 1").fetchone()
    size = con.execute("SELECT count(*) FROM queue").fetchone()[0]
    return home, number, queue_number, size, con


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_almaty(almaty, monkeypatch, page, lang):
    home, number, queue_number, size, _ = almaty
    params = {"app": number} if page == "lookup" else {}
    at = visit(home, monkeypatch, page=page, lang=lang, **params)
    assert not at.exception
    shown = texts(at) + " ".join(str(m.value) for m in at.metric)
    assert "Traceback" not in shown
    if page == "lookup":
        formatted = f"{queue_number:,}".replace(",", "\u00a0" if lang != "en" else ",")
        assert formatted in shown or f"{queue_number:,}".replace(",", " ") in shown


def test_api_on_almaty(almaty, demo_data):
    home, number, queue_number, size, con = almaty
    client = TestClient(Starlette(routes=routes(home)))
    doc = client.get(f"/api/v1/applications/{number}").json()
    assert doc["queue_number"] == queue_number == lookup(con, number)["queue_number"]
    segments = client.get("/api/v1/stats/queue_by_segment").json()
    rows = segments if isinstance(segments, list) else segments.get("items", segments)
    assert sum(r["segment_size"] for r in rows) == size > 40_000
    kindergartens = client.get("/api/v1/kindergartens", params={"limit": 5}).json()
    assert kindergartens["total"] > 800 and len(kindergartens["items"]) == 5
    assert client.get("/api/v1/queue", params={"number": number}).status_code == 200
    findings = client.get("/api/v1/stats/findings").json()
    planted = demo_data("almaty").ground_truth.num_rows  # the violations the preset plants
    assert findings["findings"] == sum(findings["by_type"].values()) == planted > 0
    assert client.get("/api/v1/findings", params={"limit": 1000}).json()["total"] == planted
