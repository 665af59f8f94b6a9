"""The light page of one application, `GET /n/{number}` (interfaces.md, "Additions of 2026-12").

A parent's phone on allocation day: one server-rendered HTML page with its CSS inline, no
JavaScript, a few kilobytes, in kk/ru/en from the dashboard's catalogs. What it says is
read once per snapshot: the facts of a number (lookup, forecast) are kept per (snapshot,
number), and the page's bytes per (snapshot, number, language, day); a repeat visit until the
next publication is answered from memory on the event loop, without a thread.

A first visit costs no replay: the number, the status and who is ahead come from the lookups
held in memory, the forecast from its segment's simulated paths (engine/forecast_paths.py,
one simulation per segment and snapshot). The last changes need the history, a replay of the
segment (dashboard/recent_history.py): a first visit asks for it in the background and says
the changes come on the next visit, which makes the page again with them.
"""

from __future__ import annotations

import datetime as dt
import gzip
import html
import re
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio
import anyio.to_thread
import duckdb
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

import i18n
from dashboard import background, context, labels, queries, recent_history
from dashboard.components import status_panel
from dashboard.lru import LRU
from dashboard.api.routes import not_modified, render_limiter, snapshot_headers
from engine.application_number import is_well_formed, normalise
from engine.forecast import WAITING, first_allocation_week
from engine import forecast_paths
from engine.forecast_paths import SegmentPathsCache
from engine.lookup import lookup
from engine.store import Snapshot, SnapshotUnavailable
from i18n import date, number, t, tn

PATH = "/n/{number}"
MEDIA_TYPE = "text/html; charset=utf-8"
STALE_DAYS = 2  # data older than this are said to be old, in a warning (issue 18, item 5)
# Pages kept in memory: a page is 5-8 KB, so 10 000 pages are under 80 MB; the facts behind
# them (shared by the three languages) are a few KB each. Beyond them, the least recently
# asked for is made again when asked for again.
MAX_PAGES = 10_000
MAX_FACTS = 10_000


pages, facts = LRU(MAX_PAGES), LRU(MAX_FACTS)
segment_paths = SegmentPathsCache()
# Per snapshot: its publisher's time zone, the first day a series observed, and the first week
# with allocations (where the forecast's history starts), read once.
snapshot_facts = LRU(8)


# --- the language ---------------------------------------------------------------------------

def language(request: Request) -> str:
    """?lang= when it names one of ours, else the browser's first of ours, else English: a
    visitor whose browser asks for neither Kazakh nor Russian reads English."""
    chosen = request.query_params.get("lang")
    if chosen in i18n.LANGUAGES:
        return chosen
    return i18n.negotiate(request.headers.get("accept-language")) or "en"


def today(timezone: str | None) -> dt.date:
    """The publisher's today (default Asia/Almaty): the age of the data is counted from it."""
    try:
        zone = ZoneInfo(timezone or "Asia/Almaty")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Asia/Almaty")
    return dt.datetime.now(zone).date()


# --- the facts of a number, once per snapshot -------------------------------------------------

def read_facts(cur: duckdb.DuckDBPyConnection, snapshot: Snapshot, key: str) -> dict | None:
    """What the page says of the number `key` (normalised), in no language, with what needs a
    replay or a simulation still missing (`completed` adds it once made): None when unknown."""
    doc = lookup(cur, key, snapshot=snapshot, with_ahead=True)
    if doc is None:
        return None
    known = snapshot_facts.get(snapshot.snapshot)
    if known is None:
        meta = queries.meta(cur)
        known = {"timezone": meta.get("timezone"), "observed_since": meta.get("observed_since"),
                 "first_allocation_week": first_allocation_week(cur)}
        snapshot_facts.put(snapshot.snapshot, known)
    return {"doc": doc, **known, "changes": None, "forecast": None, "forecast_pending": forecast_paths.waiting(doc)}


def completed(found: dict, snapshot: str) -> dict:
    """The facts with the last changes and the forecast, each if what it needs is made already:
    the history (dashboard/recent_history.py), the segment's paths (engine/forecast_paths.py)."""
    doc = found["doc"]
    if found["changes"] is None and (recent := recent_history.known(snapshot, doc["application_number"])):
        found = found | {"changes": recent["changes"]}
    if found["forecast_pending"] and (paths := segment_paths.held(snapshot, forecast_paths.segment_of(doc))):
        found = found | {"forecast": forecast_paths.forecast_from(paths, doc, found["first_allocation_week"]),
                         "forecast_pending": False}
    return found


def missing(found: dict) -> tuple[str, ...]:
    """What the page of these facts still lacks: "changes", "forecast"."""
    return (("changes",) if found["changes"] is None else ()) + (("forecast",) if found["forecast_pending"] else ())


def ready(part: str, found: dict, snapshot: str) -> bool:
    """Whether what a missing `part` needs is made now (a look, nothing computed)."""
    doc = found["doc"]
    if part == "changes":
        return recent_history.known(snapshot, doc["application_number"]) is not None
    return segment_paths.held(snapshot, forecast_paths.segment_of(doc)) is not None


def ask_for(home: Path, snapshot: str, found: dict) -> None:
    """Have what the page lacks made in the background (dashboard/background.py)."""
    doc = found["doc"]
    if found["changes"] is None:
        recent_history.ask(home, snapshot, doc["application_number"])
    if found["forecast_pending"]:
        segment, as_of = forecast_paths.segment_of(doc), dt.date.fromisoformat(doc["as_of"])
        background.worker.ask(home, snapshot, ("paths", *segment),
                              lambda cur: segment_paths.get(cur, snapshot, segment, as_of))


# --- the page ----------------------------------------------------------------------------------

CSS = """
:root{color-scheme:light;--ink:#1b1f24;--soft:#57606a;--line:#d0d7de;--accent:#0b5cad;--good:#e6f4ea;--warn:#fff4ce}
*{box-sizing:border-box}
body{margin:0;font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--ink);background:#fff}
main{max-width:40rem;margin:0 auto;padding:.75rem 1rem 2rem}
nav{display:flex;gap:.75rem;justify-content:flex-end;font-size:.95rem}
nav a[aria-current]{font-weight:700;color:var(--ink);text-decoration:none}
h1{font-size:1.35rem;margin:.5rem 0 .25rem;overflow-wrap:anywhere}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.big{font-size:3rem;font-weight:700;line-height:1.1;margin:.25rem 0}
.box{padding:.75rem 1rem;border-radius:.5rem;background:var(--good);margin:.75rem 0}
.warn{background:var(--warn)}
.note{color:var(--soft);font-size:.9rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem .75rem;margin:.5rem 0}
dt{color:var(--soft)}dd{margin:0;overflow-wrap:anywhere}
ul{padding-left:1.2rem}li{margin:.35rem 0}
a{color:var(--accent)}
.links a{display:block;margin:.5rem 0}
input{width:100%;font:inherit;padding:.4rem;border:1px solid var(--line);border-radius:.3rem}
"""

_BOLD = re.compile(r"\*\*(.+?)\*\*")


def text(value: object) -> str:
    """A catalog text or a datum as HTML: escaped, with the catalogs' **bold** kept as bold."""
    return _BOLD.sub(r"<strong>\1</strong>", html.escape(str(value), quote=False))


def page_url(application_number: str, lang: str) -> str:
    """The page's address as people read and share it: the number as it is written (an IRI;
    browsers encode its Cyrillic letters), not percent-encoded."""
    return f"/n/{path_segment(application_number)}?lang={lang}"


def path_segment(application_number: str) -> str:
    # A well-formed number has letters, digits and . _ - / only: the slash alone would end
    # the segment; anything else is percent-encoded as a precaution.
    return "".join(c if c.isalnum() or c in "._-" else urllib.parse.quote(c, safe="") for c in application_number)


def place(doc: dict) -> str:
    """The queue's settlement, with its region when they differ (as on the Lookup page)."""
    region, locality = doc["region"], doc.get("locality") or doc["region"]
    return locality if locality == region else f"{locality}, {region}"


def document(lang: str, title: str, body: list[str], switch: Callable[[str], str], head: str = "") -> bytes:
    """A whole HTML5 page: the language links (each to `switch(lang)`), then `body`."""
    links = "".join(
        f'<a href="{html.escape(switch(other))}" hreflang="{other}" lang="{other}"'
        + (' aria-current="page"' if other == lang else "") + f">{i18n.AUTONYMS[other]}</a>"
        for other in i18n.LANGUAGES)
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{text(title)}</title>{head}<style>{CSS}</style></head>"
            f'<body><main><nav aria-label="{text(t("language.label", lang))}">{links}</nav>'
            + "".join(body) + "</main></body></html>").encode("utf-8")


def render(found: dict, lang: str, day: dt.date, base: str) -> bytes:
    """The page of one application in `lang`, on the publisher's day `day`; `base` is the
    site's address (scheme and host) the share link starts with."""
    doc = found["doc"]
    number_ = doc["application_number"]
    own = page_url(number_, lang)
    as_of = dt.date.fromisoformat(doc["as_of"])
    status = labels.status(doc["status"], lang)
    numbered = doc["in_queue"] and doc["queue_number"] is not None
    body = [f"<h1>{text(t('light.title', lang, number=number_))}</h1>"]

    # The answer first: the number of a child waiting, or what the status means (a child
    # stop-listed, notified or referred keeps a number but waits for no offer: rule E3).
    if numbered and doc["status"] == "queued":
        body += [f'<p class="note">{text(t("lookup.queue_number", lang))}</p>',
                 f'<p class="big">{number(doc["queue_number"], lang)}</p>',
                 '<p class="box">' + text(t("lookup.position", lang, queue_number=number(doc["queue_number"], lang),
                                             segment_size=number(doc["segment_size"], lang),
                                             birth_year=doc["birth_year"], place=place(doc))) + "</p>"]
    elif doc.get("rules_unknown") and doc["status"] == "queued":  # waiting, but no number by unknown rules
        body.append('<p class="box warn">' + text(t("lookup.rules_unknown_number", lang, region=doc["region"])) + "</p>")
    else:  # every other status in plain words, as on the dashboard (since when, where, by when)
        said, note = status_panel.sentences(doc, lang, escape=str)
        good = doc["status"] in ("referred", "enrolled", "notified")
        body.append(f'<div class="box{"" if good else " warn"}">' + "".join(f"<p>{text(line)}</p>" for line in said)
                    + "</div>" + (f'<p class="note">{text(note)}</p>' if note else ""))

    # How old the data are: the day they describe, and a warning when that is long ago.
    age = (day - as_of).days
    if age > STALE_DAYS:  # the warning says the age itself
        body.append(f'<p class="note">{text(t("lookup.as_of", lang, as_of=date(as_of, lang)))}</p>'
                    f'<p class="box warn">{text(tn("light.stale", age, lang))}</p>')
    else:
        body.append(f'<p class="note">{text(t("lookup.as_of", lang, as_of=date(as_of, lang)))} '
                    + text(tn("light.age", age, lang) if age > 0 else t("light.fresh", lang)) + "</p>")

    rows = [(t("lookup.application_number", lang), number_),
            (t("lookup.status", lang), status),
            (t("lookup.privilege", lang), labels.privilege(doc["privilege"], lang)),
            (t("lookup.registered_at", lang), date(doc["registered_at"], lang, with_time=True)),
            (t("lookup.queue", lang), t("lookup.queue_segment", lang, birth_year=doc["birth_year"], place=place(doc)))]
    if numbered and doc["privileged_queue_number"]:
        rows.append((t("lookup.privileged_queue_number", lang), number(doc["privileged_queue_number"], lang)))
    body.append("<dl>" + "".join(f"<dt>{text(k)}</dt><dd>{text(v)}</dd>" for k, v in rows) + "</dl>")

    if numbered:
        ahead = doc["ahead"]
        body.append(f"<h2>{text(t('lookup.ahead_title', lang))}</h2><p>" + text(
            t("lookup.ahead_none", lang) if doc["queue_number"] == 1 else
            t("lookup.ahead", lang, extraordinary=number(ahead["extraordinary"], lang),
              first=number(ahead["first"], lang), general=number(ahead["none"], lang))) + "</p>")
    body += chosen(doc, lang) + changes(found["changes"], numbered, lang) + outlook(found["forecast"], doc, lang)

    # What is published and what is computed, as the dashboard says it.
    said = t("light.published", lang) if doc.get("rules_unknown") else t("light.computed", lang)
    body.append(f'<p class="note">{text(said)}' + (f" {text(t('lookup.moves', lang))}" if numbered else "") + "</p>")
    if found.get("observed_since"):
        body.append(f'<p class="note">{text(t("page.observed_since", lang, since=date(found["observed_since"][:10], lang)))}</p>')

    share = base + own
    feed = f"/n/{path_segment(number_)}/feed"
    dashboard = f"/lookup?{urllib.parse.urlencode({'app': number_, 'lang': lang})}"
    body.append(
        f"<h2>{text(t('light.links', lang))}</h2>"
        f'<p><label for="share">{text(t("light.share", lang))}</label>'
        f'<input id="share" readonly value="{html.escape(share)}"></p>'
        f'<p class="links"><a href="{html.escape(share)}">{text(t("light.share_link", lang))}</a>'
        f'<a href="{html.escape(dashboard)}">{text(t("light.dashboard", lang))}</a>'
        f'<a href="{html.escape(feed)}" type="application/atom+xml">{text(t("light.feed", lang))}</a></p>')
    head = (f'<link rel="canonical" href="{html.escape(share)}">'
            f'<link rel="alternate" type="application/atom+xml" href="{html.escape(feed)}">')
    return document(lang, t("light.title", lang, number=number_), body, lambda other: page_url(number_, other), head)


def chosen(doc: dict, lang: str) -> list[str]:
    """The kindergartens asked for, with the place the city published in each one's queue."""
    if not doc.get("choices"):
        return []
    items = []
    for c in doc["choices"]:
        names = (c["name_kk"], c["name_ru"]) if lang == "kk" else (c["name_ru"], c["name_kk"])
        name = next((n for n in names if n), c["kindergarten_id"])
        items.append(t("lookup.choice_no_place", lang, rank=c["rank"], kindergarten=name) if c["queue_number"] is None
                     else t("lookup.choice_place", lang, rank=c["rank"], kindergarten=name,
                            place=number(c["queue_number"], lang), as_of=date(c["as_of"], lang)))
    return [f"<h2>{text(t('lookup.choices_title', lang))}</h2><ul>",
            *(f"<li>{text(item)}</li>" for item in items),
            f'</ul><p class="note">{text(t("lookup.choices_note", lang))}</p>']


def changes(days: list[dict] | None, numbered: bool, lang: str) -> list[str]:
    """The last changes of the number, newest first, each with its causes in words; None: not
    made yet (the history is being made in the background)."""
    from dashboard.components.history_panel import explain  # the Lookup page's own sentence

    if days is None:
        return [f"<h2>{text(t('light.last_changes', lang))}</h2>"
                f'<p class="note">{text(t("light.changes_pending", lang))}</p>'] if numbered else []
    if not days:
        return [f"<h2>{text(t('history.title', lang))}</h2><p>{text(t('history.unchanged', lang))}</p>"] if numbered else []
    return [f"<h2>{text(t('light.last_changes', lang))}</h2><ul>",
            *(f"<li>{text(explain(d, lang))}</li>" for d in days), "</ul>"]


def outlook(found: dict | None, doc: dict, lang: str) -> list[str]:
    """The forecast range, or why there is none (as the Lookup page's forecast panel says)."""
    numbered = doc["in_queue"] and doc["queue_number"] is not None
    if not numbered:
        return []
    title = f"<h2>{text(t('forecast.title', lang))}</h2>"
    if doc["status"] not in WAITING:
        return [title, f"<p>{text(t('forecast.has_offer', lang))}</p>"]
    if found is None:
        return [title, f'<p class="note">{text(t("light.forecast_pending", lang))}</p>']
    if not found["waiting"]:
        return []
    years = found["horizon_years"]
    if not found["enough_history"]:
        from engine.forecast import MODEL

        return [title, f"<p>{text(tn('forecast.too_little_history', found['history_weeks'], lang, needed=MODEL.min_history))}</p>"]
    p10, p50, p90 = (found[k] and date(found[k], lang) for k in ("p10", "p50", "p90"))
    if p50 is None:
        said = tn("forecast.not_within", years, lang)
    elif p90 is None:
        said = tn("forecast.range_open", years, lang, p10=p10, p50=p50)
    else:
        said = t("forecast.range", lang, p10=p10, p50=p50, p90=p90)
    return [title, f'<p class="box">{text(said)}</p><p class="note">{text(t("forecast.caveat", lang))}</p>']


def trouble(lang: str, typed: str, status: int, as_of: dt.date | None) -> bytes:
    """The 404 page (not found: the expected pattern, and where to look it up) and the 400
    page (cannot be a number). Never a near match: another family's data are not shown."""
    if status == 404:
        said = t("lookup.not_found", lang, as_of=date(as_of, lang) if as_of else "—")
        title = t("light.not_found_title", lang)
    else:
        said, title = t("light.malformed", lang), t("light.malformed_title", lang)
    quoted = urllib.parse.quote(typed, safe="")  # whatever was typed: encoded whole
    body = [f"<h1>{text(title)}</h1>",
            f'<p class="box warn">{text(said)}</p>',
            f"<p>{text(t('light.pattern', lang))}</p>",
            f'<p class="links"><a href="/lookup?lang={lang}">{text(t("light.search", lang))}</a></p>']
    return document(lang, title, body, lambda other: f"/n/{quoted}?lang={other}")


# --- the HTTP side -----------------------------------------------------------------------------

def base_url(request: Request) -> str:
    """Scheme and host of the address asked for (behind a proxy, as uvicorn's proxy_headers set it)."""
    return f"{request.url.scheme}://{request.url.netloc}"


def headers_for(snapshot: Snapshot | None, lang: str, day: dt.date | None, complete: bool = True) -> dict[str, str]:
    """The API's snapshot headers, with an ETag per language and day: the page names the day
    it was read on (the age of the data), and Accept-Language may choose its language; a page
    still waiting for its last changes or forecast has an ETag of its own, so the page with them
    is sent."""
    if snapshot is None:
        return {"Cache-Control": "no-store", "Content-Language": lang}
    headers = snapshot_headers(snapshot) | {"Vary": "Accept-Language, Accept-Encoding", "Content-Language": lang}
    headers["ETag"] = f'W/"{snapshot.snapshot}.{lang}.{day.isoformat() if day else ""}{"" if complete else ".pending"}"'
    return headers


@dataclass(frozen=True)
class Page:
    """A page made, kept until the next publication or the publisher's next day. Kept
    compressed too: browsers ask for gzip, and compressing on every visit would cost the
    event loop more than the rest of a repeat visit (the middleware leaves it as it is)."""

    body: bytes
    gzipped: bytes
    headers: dict[str, str]
    day: dt.date
    timezone: str | None
    found: dict  # the facts it was made of

    @classmethod
    def made(cls, body: bytes, headers: dict[str, str], day: dt.date, found: dict) -> Page:
        return cls(body, gzip.compress(body, 6, mtime=0), headers, day, found["timezone"], found)

    def current(self, snapshot: str) -> bool:
        """Still what the page would say: the same day, and nothing it lacked made since."""
        return self.day == today(self.timezone) and not any(
            ready(part, self.found, snapshot) for part in missing(self.found))

    def send(self, request: Request) -> Response:
        if not_modified(request, self.headers["ETag"]):
            return Response(status_code=304, headers=self.headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(self.gzipped, headers=self.headers | {"Content-Encoding": "gzip"}, media_type=MEDIA_TYPE)
        return Response(self.body, headers=self.headers, media_type=MEDIA_TYPE)


def unavailable(lang: str) -> Response:
    body = document(lang, t("light.unavailable", lang), [f"<h1>{text(t('light.unavailable', lang))}</h1>"],
                    lambda other: f"?lang={other}")
    return Response(body, status_code=503, media_type=MEDIA_TYPE,
                    headers={"Cache-Control": "no-store", "Retry-After": "60"})


class Endpoint:
    """`GET /n/{number}` over the snapshot published in `home`."""

    def __init__(self, home: Path):
        self.home = home

    async def handle(self, request: Request) -> Response:
        typed, lang = request.path_params["number"], language(request)
        key = normalise(typed)
        try:  # a page already made for this snapshot and day: answered here, on the event loop
            publication = context.reader(self.home).judged()
        except SnapshotUnavailable:
            return unavailable(lang)
        if publication is not None:
            made = pages.get((publication.snapshot, key, lang, base_url(request)))
            if made is not None and made.current(publication.snapshot):
                return made.send(request)
        return await anyio.to_thread.run_sync(self.make, request, typed, key, lang, limiter=render_limiter())

    def make(self, request: Request, typed: str, key: str, lang: str) -> Response:
        background.worker.visited()  # the parent's answer first, the history after
        try:
            cur, snapshot = context.reader(self.home).open()
        except SnapshotUnavailable:
            return unavailable(lang)
        try:
            if not is_well_formed(typed):
                return Response(trouble(lang, typed, 400, None), 400, headers_for(snapshot, lang, None), MEDIA_TYPE)
            found = facts.get((snapshot.snapshot, key))
            if found is None:
                found = read_facts(cur, snapshot, key) or {"doc": None}
        finally:
            cur.close()
        if found["doc"] is not None:
            found = completed(found, snapshot.snapshot)
        facts.put((snapshot.snapshot, key), found)
        if found["doc"] is None:
            return Response(trouble(lang, typed, 404, snapshot.as_of), 404, headers_for(snapshot, lang, None), MEDIA_TYPE)
        ask_for(self.home, snapshot.snapshot, found)  # what it lacks: made in the background
        day = today(found["timezone"])
        headers = headers_for(snapshot, lang, day, not missing(found))
        body = render(found, lang, day, base_url(request))
        # The share link names the host asked for, so the host is part of the key; the day is
        # kept to make the page again when the publisher's day turns (the age of the data).
        page = Page.made(body, headers, day, found)
        pages.put((snapshot.snapshot, key, lang, base_url(request)), page)
        return page.send(request)


def routes(home: str | Path) -> list[BaseRoute]:
    """The light page's route for the snapshot published in `home`."""
    return [Route(PATH, Endpoint(Path(home).resolve()).handle, methods=["GET"], name="light_page")]
