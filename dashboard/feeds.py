"""Atom feeds for parents' feed readers and bots (interfaces.md, "Additions of 2026-12"):

- `GET /n/{number}/feed`: one application's changes, newest first — every day its queue
  number changed (engine/history.py), with the causes in words, and every change of its
  status or privilege; where no ruleset covers its region, the places the city published
  for it in kindergartens' queues instead of numbers;
- `GET /feeds/bulletins?region=R[&birth_year=Y][&district=D]`: the newest vacancy bulletins.

In Kazakh, Russian or English (`?lang=`, else Accept-Language, else Kazakh). Entry ids are
made from the data alone (atom.tag), so a reader shows no entry twice across publications.

A feed reader asks again every few minutes, and an application's history costs a tenth of
a second or more on the national data: each answer is rendered once per snapshot, language
and site (in the threads of routes.render_limiter, shared with the light page, never those
of the API's lookups), kept in a bounded LRU (atom.LRU) and, when asked again, sent from the event loop without a thread or a query.
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio
import anyio.to_thread
import duckdb
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

import i18n
from dashboard import atom, context, labels, queries, recent_history
from dashboard.api import models
from dashboard.api.routes import (BadRequest, NotFound, UnknownValue, error, not_modified, parse,
                                  query_parameters, render_limiter, snapshot_headers, unknown_value)
from engine.application_number import normalise
from engine.lookup import find
from engine.schema import EVENT_STATUS
from engine.store import Snapshot, SnapshotUnavailable
from i18n import date, number, t, tn

log = logging.getLogger("kezek.feeds")

ENTRIES = recent_history.ENTRIES
CACHE_BYTES = 64 << 20  # about 2 000 rendered feeds of 50 entries, plain and gzipped
_rendered = atom.LRU(CACHE_BYTES)

class FeedParameters(models.Parameters):
    lang: Literal[i18n.LANGUAGES] | None = None


class BulletinFeedParameters(FeedParameters):
    region: models.Text = None
    birth_year: models.BirthYear | None = None
    district: models.Text = None


# --- times: the data's local wall-clock times, with the publisher's offset ----------------

def time_zone(cur: duckdb.DuckDBPyConnection) -> dt.tzinfo:
    row = cur.execute("SELECT value FROM meta WHERE key = 'timezone'").fetchone()
    try:
        return ZoneInfo(row[0] if row and row[0] else "Asia/Almaty")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Almaty")


def moment(value: dt.date | dt.datetime | str, zone: dt.tzinfo) -> dt.datetime:
    """A day (its start) or a local time of the data as an aware time: Atom dates carry an offset."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return value.replace(tzinfo=zone)


# --- one application's feed ---------------------------------------------------------------

# Status and privilege changes, newest first: the events that set a status (schema.EVENT_STATUS)
# or a privilege. Their free-text reason is never read: it is the city's, not for a feed.
CHANGES = """
SELECT "at", event, privilege FROM events
WHERE application_number = $n AND list_contains($events, event)
ORDER BY "at" DESC, event
LIMIT $limit
"""


def application_feed(cur: duckdb.DuckDBPyConnection, snapshot: Snapshot, site: str, number_key: str,
                     lang: str) -> bytes:
    found = find(cur, number_key)
    if found is None:
        raise NotFound
    app = found["application_number"]
    doc = recent_history.recent(cur, snapshot.snapshot, app)  # shared with the light page
    zone = time_zone(cur)
    page = f"{site}n/{urllib.parse.quote(app, safe='')}?lang={lang}"
    if doc["rules_unknown"]:  # no number is computed there: the city's own places are the news
        entries = place_entries(cur, app, doc["places"], page, zone, lang)
    else:
        entries = number_entries(app, doc["days"], page, zone, lang)
    entries += status_entries(cur, app, page, zone, lang)
    entries = sorted(entries, key=lambda e: (e.updated, e.id), reverse=True)[:ENTRIES]
    return atom.document(
        id=atom.tag("n", app), lang=lang,
        title=t("feed.application_title", lang, number=app),
        subtitle=t("feed.places_subtitle", lang) if doc["rules_unknown"] else t("feed.application_subtitle", lang),
        updated=entries[0].updated if entries else moment(found["registered_at"], zone),
        self_url=f"{site}n/{urllib.parse.quote(app, safe='')}/feed?lang={lang}", html_url=page,
        author_url=site, entries=entries)


def number_entries(app: str, days: list[dict], page: str, zone: dt.tzinfo, lang: str) -> list[atom.Entry]:
    """An entry per day the number changed, entered or left the queue, newest first."""
    # The Lookup page's own sentence; its module draws with pandas and plotly, loaded here
    # only when a feed is first rendered.
    from dashboard.components.history_panel import explain

    start = max(0, len(days) - ENTRIES)
    entries, before = [], days[start - 1]["queue_number"] if start else None
    for day in days[start:]:  # oldest first: whether a day entered the queue depends on the day before
        n, change, when = day["queue_number"], day["change"], date(day["date"], lang)
        if n is None:
            title, summary = t("feed.left_title", lang), t("feed.left", lang, day=when)
        elif change:
            title = t("feed.number_title", lang, number=number(n, lang), change=f"{change:+d}")
            summary = explain(day, lang)
        elif before is None:  # the first day it held a number (or the first a series observed)
            title = t("feed.entered_title", lang, number=number(n, lang))
            summary = t("feed.entered", lang, day=when, number=number(n, lang))
        else:  # a day listed for another reason, on which the number did not move: no news
            continue
        before = n
        entries.append(atom.Entry(atom.tag("n", app, day["date"]), title, moment(day["date"], zone), page, summary))
    return entries[::-1][:ENTRIES]


def place_entries(cur: duckdb.DuckDBPyConnection, app: str, places: list[dict], page: str, zone: dt.tzinfo,
                  lang: str) -> list[atom.Entry]:
    """An entry per place the city published that was new or moved, newest first."""
    moved = [p for p in places if p["change"] != 0][-ENTRIES:]
    names = queries.kindergarten_names(cur, lang) if moved else {}
    entries = []
    for p in reversed(moved):
        name, n = names.get(p["kindergarten_id"], p["kindergarten_id"]), number(p["queue_number"], lang)
        title = (t("feed.place_first_title", lang, kindergarten=name, number=n) if p["change"] is None else
                 t("feed.place_title", lang, kindergarten=name, number=n, change=f"{p['change']:+d}"))
        summary = t("feed.place", lang, day=date(p["date"], lang), kindergarten=name, number=n)
        entries.append(atom.Entry(atom.tag("n", app, p["date"], p["queue_id"]), title, moment(p["date"], zone),
                                  page, summary))
    return entries


STATUS_EVENTS = [*EVENT_STATUS, "privilege_changed"]


def status_entries(cur: duckdb.DuckDBPyConnection, app: str, page: str, zone: dt.tzinfo,
                   lang: str) -> list[atom.Entry]:
    entries = []
    for at, event, privilege in cur.execute(CHANGES, {"n": app, "events": STATUS_EVENTS, "limit": ENTRIES}).fetchall():
        when = date(at, lang, with_time=True)
        if event == "privilege_changed":
            word = labels.privilege(privilege, lang)
            title, summary = t("feed.privilege_title", lang, privilege=word), t("feed.privilege", lang, day=when,
                                                                                   privilege=word)
        else:
            word = labels.status(EVENT_STATUS[event], lang)
            title, summary = t("feed.status_title", lang, status=word), t("feed.status", lang, day=when, status=word)
        entries.append(atom.Entry(atom.tag("n", app, at.isoformat(), event), title, moment(at, zone), page, summary))
    return entries


# --- the vacancy bulletins' feed ------------------------------------------------------------

# The dashboard's bulletins (queries.BULLETINS) with the kindergarten's name in the reader's
# language, newest first.
BULLETINS = f"""
SELECT b.bulletin_id, b.kindergarten_id, n.name, b.announced_at, b.birth_year, b.language, b.seats,
       nullif(b.district, '') AS district
FROM ({queries.BULLETINS}) AS b
JOIN ({queries.KINDERGARTEN_NAMES}) AS n USING (kindergarten_id)
WHERE ($birth_year IS NULL OR b.birth_year = $birth_year)
ORDER BY b.announced_at DESC, b.bulletin_id DESC
LIMIT $limit
"""


def bulletins_feed(cur: duckdb.DuckDBPyConnection, snapshot: Snapshot, site: str, region: str | None,
                   district: str | None, birth_year: int | None, lang: str) -> bytes:
    choices = queries.register_choices(cur, region)
    if region not in choices["region"]:
        raise UnknownValue("region", region or "", choices["region"])
    if district is not None and district not in choices["district"]:
        raise UnknownValue("district", district, choices["district"])
    zone = time_zone(cur)
    rows = cur.execute(BULLETINS, {"region": region, "district": district, "language": None, "lang": lang,
                                   "birth_year": birth_year, "limit": ENTRIES}).fetchall()
    entries = [
        atom.Entry(
            atom.tag("bulletin", bulletin_id),
            tn("feed.bulletin_title", seats, lang, kindergarten=name, year=year),
            moment(announced_at, zone),
            f"{site}kindergartens?{urllib.parse.urlencode({'kg': kindergarten_id, 'lang': lang})}",
            t("feed.bulletin", lang, announced=date(announced_at, lang, with_time=True),
              language=labels.language(language, lang), district=where or region),
        )
        for bulletin_id, kindergarten_id, name, announced_at, year, language, seats, where in rows
    ]
    asked = {k: v for k, v in (("region", region), ("district", district), ("birth_year", birth_year)) if v is not None}
    page = {k: v for k, v in asked.items() if k != "birth_year"}  # the Vacancies page has no year filter
    where = [region, *([district] if district else []),
             *([t("feed.born", lang, year=birth_year)] if birth_year is not None else [])]
    return atom.document(
        id=atom.tag("bulletins", *(f"{k}={v}" for k, v in asked.items())), lang=lang,
        title=t("feed.bulletins_title", lang, where=", ".join(where)),
        subtitle=t("feed.bulletins_subtitle", lang),
        updated=entries[0].updated if entries else moment(snapshot.as_of, zone),
        self_url=f"{site}feeds/bulletins?{urllib.parse.urlencode({**asked, 'lang': lang})}",
        html_url=f"{site}vacancies?{urllib.parse.urlencode({**page, 'lang': lang})}",
        author_url=site, entries=entries)


# --- the HTTP side ----------------------------------------------------------------------------

def language(request: Request, asked: str | None) -> tuple[str, bool]:
    """The feed's language and whether it was negotiated (then the answer varies by Accept-Language)."""
    if asked is not None:
        return asked, False
    return i18n.negotiate(request.headers.get("accept-language")) or i18n.DEFAULT_LANGUAGE, True


def application_arguments(request: Request) -> tuple[tuple, bool]:
    params = query_parameters(request, FeedParameters)
    number_key = parse(models.NumberPath, dict(request.path_params)).number
    lang, negotiated = language(request, params.lang)
    return (normalise(number_key), lang), negotiated


def bulletin_arguments(request: Request) -> tuple[tuple, bool]:
    params = query_parameters(request, BulletinFeedParameters)
    lang, negotiated = language(request, params.lang)
    return (params.region, params.district, params.birth_year, lang), negotiated


def send(request: Request, rendered: atom.Rendered, negotiated: bool) -> Response:
    headers = dict(rendered.headers) | {"ETag": rendered.etag}
    headers["Vary"] = "Accept-Encoding, Accept-Language" if negotiated else "Accept-Encoding"
    if not_modified(request, rendered.etag):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(rendered.gzipped, rendered.status, headers | {"Content-Encoding": "gzip"}, atom.MEDIA_TYPE)
    return Response(rendered.body, rendered.status, headers, atom.MEDIA_TYPE)


def unavailable() -> Response:
    return error("unavailable", 503, {"Cache-Control": "no-store", "Retry-After": "60"})


def endpoint(home: Path, name: str, arguments: Callable[[Request], tuple[tuple, bool]],
             render: Callable[..., bytes]):
    async def handle(request: Request) -> Response:
        try:
            args, negotiated = arguments(request)
        except BadRequest as exc:
            return error("bad_request", 400, {"Cache-Control": "no-store"}, detail=exc.detail, parameter=exc.parameter)
        site = str(request.base_url)
        try:
            publication = context.reader(home).judged()  # the snapshot served, if known without waiting
        except SnapshotUnavailable:
            return unavailable()
        if publication is not None and (hit := _rendered.get((name, publication.snapshot, site, *args))):
            return send(request, hit, negotiated)
        return await anyio.to_thread.run_sync(compute, request, args, negotiated, site, limiter=render_limiter())

    def compute(request: Request, args: tuple, negotiated: bool, site: str) -> Response:
        try:
            cur, snapshot = context.reader(home).open()
        except SnapshotUnavailable:
            return unavailable()
        except Exception:
            log.exception("feeds: opening the snapshot failed")
            return error("internal", 500, {"Cache-Control": "no-store"})
        headers = snapshot_headers(snapshot)
        key = (name, snapshot.snapshot, site, *args)
        try:
            rendered = _rendered.get(key)  # another request may have rendered it meanwhile
            if rendered is None:
                rendered = atom.Rendered.of(render(cur, snapshot, site, *args), headers)
                _rendered.put(key, rendered)
        except NotFound:
            return error("not_found", 404, headers)
        except UnknownValue as exc:
            return unknown_value(exc, headers)
        except (duckdb.IOException, duckdb.SerializationException) as exc:
            # The route's name is logged, never the address: it may hold an application number.
            log.error("feeds: %s: the snapshot cannot be read: %s", name, str(exc).splitlines()[0] if str(exc) else "")
            return unavailable()
        except Exception:
            log.exception("feeds: %s failed", name)
            return error("internal", 500, {"Cache-Control": "no-store"})
        finally:
            cur.close()
        return send(request, rendered, negotiated)

    handle.__name__ = name
    return handle


def routes(home: str | Path) -> list[BaseRoute]:
    """The feeds' Starlette routes for the snapshot published in `home`."""
    home = Path(home).resolve()
    return [
        Route("/n/{number}/feed", endpoint(home, "application_feed", application_arguments, application_feed),
              methods=["GET"], name="application_feed"),
        Route("/feeds/bulletins", endpoint(home, "bulletins_feed", bulletin_arguments, bulletins_feed),
              methods=["GET"], name="bulletins_feed"),
    ]
