"""The HTTP API's routes (interfaces.md, "HTTP API"), served beside the dashboard.

Each route is an `Operation`: its path, its query-parameter model, its response model and
the errors it can answer, and a handler that does the database work. The same table
builds the Starlette routes and the OpenAPI description (`dashboard.api.openapi`).

Every answer comes from one cursor on the published snapshot and is labelled with that
snapshot's id (`X-Kezek-Snapshot`, and `ETag`), cacheable for a minute and revalidated
with `If-None-Match` until the next publication. Handlers are plain functions: Starlette
runs sync endpoints in its threadpool, so DuckDB work never blocks the event loop that
also serves the dashboard's WebSockets.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import os
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import duckdb
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from dashboard import context, number_hint, staleness
from engine import settings
from dashboard.api import answers, models, openapi, tabular
from engine.audit import FINDING_TYPES
from engine.audit import report as audit
from engine.lookup import AfterTheData, lookup, within_the_data
from engine.store import Snapshot, SnapshotUnavailable
from i18n import negotiate

log = logging.getLogger("kezek.api")

PREFIX = "/api/v1"
CACHE_CONTROL = "public, max-age=60"
MEDIA_TYPE = "application/json; charset=utf-8"


class BadRequest(Exception):
    def __init__(self, parameter: str | None, detail: str):
        super().__init__(detail)
        self.parameter, self.detail = parameter, detail


class UnknownValue(Exception):
    """A filter naming what the data do not hold: answered with the values they do."""

    def __init__(self, parameter: str, value: str, allowed: list[str]):
        super().__init__(parameter)
        self.parameter, self.value, self.allowed = parameter, value, allowed


class NotFound(Exception):
    """Nothing of that id or number. `number`: what was not found is an application number,
    and the answer says how the snapshot's numbers are written (dashboard/number_hint.py)."""

    def __init__(self, number: bool = False):
        super().__init__()
        self.number = number


@dataclass(frozen=True)
class Operation:
    path: str  # Starlette template under PREFIX, e.g. "/applications/{number}"
    operation_id: str
    summary: str
    description: str
    parameters: type[models.Parameters]
    response: Any  # a model, or e.g. list[model]
    handler: Callable[..., Any]  # handler(cursor, parameters, **path) -> plain data
    path_parameters: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()  # besides 304, 500 and 503, which every route may answer
    tags: tuple[str, ...] = ()

    @property
    def adapter(self) -> TypeAdapter:
        return _adapter(self.response)

    @cached_property
    def item(self) -> type[BaseModel] | None:
        """The model of one item when the route answers a list (it then takes `format=csv`)."""
        return tabular.item_model(self.response) if issubclass(self.parameters, models.Tabular) else None

    @cached_property
    def takes_snapshot(self) -> bool:
        """Whether the handler wants the reader's description of the snapshot (`snapshot=`)."""
        return "snapshot" in inspect.signature(self.handler).parameters


_adapters: dict[Any, TypeAdapter] = {}


def _adapter(tp: Any) -> TypeAdapter:
    if tp not in _adapters:
        _adapters[tp] = TypeAdapter(tp)
    return _adapters[tp]


# --- handlers: plain data from one cursor -------------------------------------------------

def _in_order(p: models.Parameters) -> None:
    if p.from_ and p.to and p.from_ > p.to:
        raise BadRequest("to", "`to` is before `from`")


def application(cur, p: models.ApplicationParameters, number: str, *, snapshot: Snapshot) -> dict:
    doc = lookup(cur, number, p.as_of, snapshot=snapshot, with_ahead=True)
    if doc is None:
        raise NotFound(number=True)
    return doc


def application_history(cur, p: models.HistoryParameters, number: str) -> dict:
    from engine.history import history

    _in_order(p)
    doc = history(cur, number, p.from_, p.to)
    if doc is None:
        raise NotFound(number=True)
    return doc


def application_forecast(cur, p: models.ForecastParameters, number: str) -> dict:
    from engine.forecast import forecast
    from engine.lookup import find

    found = find(cur, number)
    if found is None:
        raise NotFound(number=True)
    return forecast(cur, found["application_number"])


def segment_movement(cur, p: models.SegmentWeekParameters) -> dict:
    _in_order(p)
    total, items = answers.segment_movement(cur, region=p.region, locality=p.locality, birth_year=p.birth_year,
                                            first=p.from_, last=p.to, limit=p.limit, offset=p.offset)
    return {"total": total, "limit": p.limit, "offset": p.offset, "items": items}


def kindergartens(cur, p: models.KindergartenParameters) -> dict:
    total, items = answers.kindergartens(cur, **p.filters())
    return {"total": total, "limit": p.limit, "offset": p.offset, "items": items}


def kindergarten(cur, p: models.NoParameters, kindergarten_id: str) -> dict:
    doc = answers.kindergarten(cur, kindergarten_id)
    if doc is None:
        raise NotFound
    return doc


def vacancies(cur, p: models.VacancyParameters) -> dict:
    _in_order(p)
    total, items = answers.vacancies(cur, **p.filters())
    return {"total": total, "limit": p.limit, "offset": p.offset, "items": items}


def vacancies_by_birth_year(cur, p: models.BulletinParameters) -> list[dict]:
    return answers.vacancies_by_birth_year(cur, **p.filters())


def queue_by_segment(cur, p: models.SegmentParameters) -> list[dict]:
    return answers.queue_by_segment(cur, **p.filters())


def districts_by_month(cur, p: models.DistrictMonthFilters, *, snapshot: Snapshot) -> list[dict]:
    return answers.districts_by_month(cur, snapshot.as_of, **p.model_dump())


def queue_per_place(cur, p: models.DistrictMonthParameters, *, snapshot: Snapshot) -> list[dict]:
    return answers.queue_per_place(cur, snapshot.as_of, **p.model_dump())


def queue(cur, p: models.QueueParameters, *, snapshot: Snapshot) -> dict:
    offset = p.offset
    if p.number is not None:
        from engine.lookup import find

        found = find(cur, p.number, snapshot)
        if found is None:
            raise NotFound(number=True)
        if found["queue_number"] is None:  # holds no number (Q2)
            raise NotFound
        place = (found["region"], found["locality"], found["birth_year"])
        region, locality, birth_year, queue_number = *place, found["queue_number"]
        asked = (p.region, p.locality, p.birth_year)
        if any(a is not None and a != b for a, b in zip(asked, place)):
            raise NotFound  # the application is not in the segment asked for
        offset = (queue_number - 1) // p.limit * p.limit
    else:
        if p.region is None:
            raise BadRequest("region", "required unless `number` is given")
        if p.birth_year is None:
            raise BadRequest("birth_year", "required unless `number` is given")
        region, locality, birth_year = p.region, p.locality or p.region, p.birth_year
    total, items = answers.queue(cur, region=region, locality=locality, birth_year=birth_year,
                                 limit=p.limit, offset=offset)
    return {"total": total, "limit": p.limit, "offset": offset, "as_of": snapshot.as_of,
            "region": region, "locality": locality, "birth_year": birth_year, "items": items}


def _audited(cur) -> None:
    if not audit.has_audit(cur):  # a snapshot published before the audit existed
        raise NotFound


def _finding_filters(p: models.FindingFilters) -> dict:
    return p.model_dump(include=set(audit.FILTERS))


def findings(cur, p: models.FindingParameters) -> dict:
    _audited(cur)
    total, items = audit.located(cur, limit=p.limit, offset=p.offset, **_finding_filters(p))
    return {"total": total, "limit": p.limit, "offset": p.offset, "items": items}


def finding(cur, p: models.NoParameters, finding_id: int) -> dict:
    _audited(cur)
    total, items = audit.located(cur, limit=1, finding_id=finding_id)
    if not items:
        raise NotFound
    return items[0]


def findings_summary(cur, p: models.FindingFilters) -> dict:
    _audited(cur)
    chosen = _finding_filters(p)
    by_type = dict(audit.counts(cur, "type", **chosen))
    channels = audit.legitimate_counts(cur, **{k: chosen[k] for k in ("region", "district", "month")})
    return {"findings": sum(by_type.values()),
            "by_type": {t: by_type.get(t, 0) for t in (FINDING_TYPES if p.type is None else (p.type,))},
            "by_month": dict(audit.counts(cur, "month", **chosen)),
            "legitimate": channels,
            "position_offsets": audit.position_offsets(cur)}


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "/applications/{number}", "getApplication", "One application's state and queue numbers",
        "The `kezek lookup --json` document at the end of `as_of` (default: the snapshot's "
        "date), with `ahead`: the numbered applications ahead of it in its segment by "
        "privilege class (rule Q3). 404 when the number is unknown or was not yet "
        "registered on that day; 400 when it cannot be an application number or `as_of` is "
        "after the snapshot's date (the data say nothing of later days).",
        models.ApplicationParameters, models.Lookup, application,
        path_parameters=models.NumberPath, errors=(400, 404), tags=("applications",),
    ),
    Operation(
        "/applications/{number}/history", "getApplicationHistory", "One application's number day by day, with causes",
        "The days from `from` to `to` on which the application's queue number changed or it "
        "entered or left the queue, each with the change split by cause (rules Q1-Q4; the "
        "causes add up to the change). 404 when the number is unknown; 400 when malformed, "
        "when `to` is before `from`, or when either is after the snapshot's date.",
        models.HistoryParameters, models.History, application_history,
        path_parameters=models.NumberPath, errors=(400, 404), tags=("applications",),
    ),
    Operation(
        "/applications/{number}/forecast", "getApplicationForecast", "When the number is likely reached",
        "The 10th, 50th and 90th percentile dates by which the application is likely offered a "
        "place in queue order, from the segment movement of the older cohorts (rules A1, Q3, Q5), "
        "with the expected offers, departures and insertions ahead it rests on. `waiting` is false "
        "for an application that is not numbered or already has an offer; dates are null with too "
        "little history or beyond the horizon. 404 when the number is unknown; 400 when malformed.",
        models.ForecastParameters, models.Forecast, application_forecast,
        path_parameters=models.NumberPath, errors=(400, 404), tags=("applications",),
    ),
    Operation(
        "/kindergartens", "listKindergartens", "The public register of kindergartens",
        "Filtered and paged, ordered by kindergarten_id.",
        models.KindergartenParameters, models.KindergartenPage, kindergartens,
        errors=(400,), tags=("kindergartens",),
    ),
    Operation(
        "/kindergartens/{kindergarten_id}", "getKindergarten", "One kindergarten, its groups and bulletins",
        "404 when the id is unknown.",
        models.NoParameters, models.KindergartenDetail, kindergarten,
        path_parameters=models.KindergartenPath, errors=(400, 404), tags=("kindergartens",),
    ),
    Operation(
        "/vacancies", "listVacancies", "Vacancy bulletins",
        "Filtered and paged, ordered by announced_at, then bulletin_id. 400 when `to` is "
        "before `from`, or either is after the snapshot's date.",
        models.VacancyParameters, models.BulletinPage, vacancies,
        errors=(400,), tags=("vacancies",),
    ),
    Operation(
        "/stats/vacancies_by_birth_year", "vacanciesByBirthYear", "Places announced per birth year",
        "Seats, bulletins and kindergartens of the vacancy bulletins per birth year, youngest first.",
        models.BulletinParameters, list[models.VacanciesByBirthYear], vacancies_by_birth_year,
        errors=(400,), tags=("stats",),
    ),
    Operation(
        "/stats/queue_by_segment", "queueBySegment", "Queue length per segment and privilege class",
        "Numbered applications per region, locality and birth year (rule Q1), by privilege "
        "class, at the snapshot's date.",
        models.SegmentParameters, list[models.QueueBySegment], queue_by_segment,
        errors=(400,), tags=("stats", "queue"),
    ),
    Operation(
        "/stats/segment_movement", "segmentMovement", "How each queue moved, week by week",
        "Per segment (region, locality, birth year; rule Q1) and week: queue length at the end of "
        "the week, new applications, privileged insertions, notifications, referrals by channel, "
        "enrolments, and how far the front reached. Computed at publication; ordered by region, "
        "locality, birth year and week; paged. 400 when `to` is before `from`, or either is "
        "after the snapshot's date.",
        models.SegmentWeekParameters, models.SegmentWeekPage, segment_movement,
        errors=(400,), tags=("stats", "queue"),
    ),
    Operation(
        "/stats/districts_by_month", "districtsByMonth", "Places, referrals and findings per district and month",
        "Per district of the kindergartens and calendar month (the Districts page): places announced in "
        "the bulletins of its kindergartens (published), referrals issued to them (observed) and the "
        "audit's findings about them (computed by rules; null where no ruleset covers the region). "
        "A month without any is a row of zeros. Ordered by region, locality, district and month.",
        models.DistrictMonthFilters, list[models.DistrictMonth], districts_by_month,
        errors=(400,), tags=("stats",),
    ),
    Operation(
        "/stats/queue_per_place", "queuePerPlace", "The queue per announced place, per settlement and month",
        "Applications numbered (Q2) at the start of each month, the places announced that month and "
        "their ratio, per settlement: the queue is kept per settlement and birth year (rule Q1), not per "
        "district. Ordered by region, locality and month.",
        models.DistrictMonthParameters, list[models.SettlementMonth], queue_per_place,
        errors=(400,), tags=("stats", "queue"),
    ),
    Operation(
        "/queue", "listQueue", "The public queue of one segment",
        "The queue list as the portals show it, in queue_number order, at the snapshot's "
        "date. The segment is `region`, `locality` (default: the region) and `birth_year`; or "
        "give `number` to get the segment and page holding that application (`offset` is "
        "then computed; 404 if it holds no number or is not in the segment given). `region` "
        "and `birth_year` are required unless `number` is given: 400 without them.",
        models.QueueParameters, models.QueuePage, queue,
        errors=(400, 404), tags=("queue",),
    ),
    Operation(
        "/findings", "listFindings", "The audit's findings",
        "Every offer or referral the replay of the bulletins under the rules in force found "
        "to break a rule (queue-rules.md, F), with the rule id, the instant, where it "
        "happened, structured evidence and a sentence in Kazakh, Russian and English. "
        "Filtered and paged, in finding_id order (time, then type). 404 when the snapshot "
        "has no audit; 400 for a `month` after the snapshot's month.",
        models.FindingParameters, models.FindingPage, findings,
        errors=(400, 404), tags=("audit",),
    ),
    Operation(
        "/findings/{finding_id}", "getFinding", "One finding with its evidence",
        "404 when there is no such finding in the published snapshot.",
        models.NoParameters, models.Finding, finding,
        path_parameters=models.FindingPath, errors=(400, 404), tags=("audit",),
    ),
    Operation(
        "/stats/findings", "findingsSummary", "Findings per type and month; legitimate referrals per channel",
        "The same filters as /findings. The legitimate out-of-order referrals (A9: staff "
        "children, free choice after the window, private kindergartens with a state order) are "
        "counted apart; they are not findings. 400 for a `month` after the snapshot's month.",
        models.FindingFilters, models.FindingSummary, findings_summary,
        errors=(400, 404), tags=("audit", "stats"),
    ),
)


# --- the HTTP side -------------------------------------------------------------------------------

def json_response(content: Any, status: int = 200, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(content, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def error(kind: str, status: int, headers: dict | None = None, **extra) -> JSONResponse:
    body = models.Error(error=kind, **extra).model_dump(mode="json", exclude_none=True)
    return json_response(body, status, headers)


def unknown_value(exc: UnknownValue, headers: dict | None = None) -> JSONResponse:
    """400 for a value the data do not hold, with the values they do (`allowed`)."""
    detail = (f"{exc.parameter}: " + (f"{exc.value!r} is not in the data" if exc.value else "required")
              + "; expected one of: " + ", ".join(exc.allowed))
    return error("bad_request", 400, headers, detail=detail, parameter=exc.parameter, allowed=exc.allowed)


def snapshot_headers(snapshot: Snapshot, home: Path | None = None) -> dict[str, str]:
    # A weak validator: the body may leave gzipped or not, byte-identical only per encoding.
    headers = {"X-Kezek-Snapshot": snapshot.snapshot, "ETag": f'W/"{snapshot.snapshot}"',
               "Cache-Control": CACHE_CONTROL, "Access-Control-Allow-Origin": "*"}
    if home is not None:
        headers.update(freshness_headers(snapshot, home))
    if snapshot.rules_unknown:  # every answer says where the rules are not known (percent-encoded UTF-8)
        headers["X-Kezek-Rules-Unknown"] = ", ".join(urllib.parse.quote(r) for r in snapshot.rules_unknown)
    return headers


def freshness_headers(snapshot: Snapshot, home: Path) -> dict[str, str]:
    """How old the data are (docs/interfaces.md): when this snapshot was published and when
    the last successful update ran. Moments, not an age: an answer a proxy kept for a minute
    still tells the truth. Lock-free: the reader judged the pointer when it opened the cursor."""
    try:
        publication = context.reader(home).judged()
    except SnapshotUnavailable:
        return {}
    if publication is None or publication.snapshot != snapshot.snapshot:  # switched meanwhile
        return {}
    since = staleness.last_update(home, publication.published_at)
    headers = {"X-Kezek-Published-At": publication.published_at}
    if since is not None:
        headers["X-Kezek-Updated-At"] = since.astimezone(dt.timezone.utc).isoformat(timespec="seconds")
    return headers


def not_modified(request: Request, etag: str) -> bool:
    """If-None-Match with the weak comparison of RFC 9110 §13.1.2."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


def parse(model: type[BaseModel], raw: dict[str, str]) -> BaseModel:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else None
        if first["type"] == "extra_forbidden":
            raise BadRequest(name, f"unknown parameter {name!r}") from None
        message = str(first["ctx"]["error"]) if first["type"] == "value_error" else first["msg"]
        raise BadRequest(name, f"{name}: {message}") from None


def query_parameters(request: Request, model: type[models.Parameters]) -> models.Parameters:
    raw = {}
    for key in request.query_params.keys():
        values = request.query_params.getlist(key)
        if len(values) > 1:
            raise BadRequest(key, f"parameter {key!r} given more than once")
        raw[key] = values[0]  # empty: absent if free text (models.Text), else malformed
    return parse(model, raw)


def within_the_snapshot(params: models.Parameters, snapshot: Snapshot) -> None:
    """No day after the snapshot's: the answer would pass the last known state off as that
    day's (or, near year 9999, fail)."""
    for name, day in params.days():
        try:
            within_the_data(day, snapshot.as_of)
        except AfterTheData as exc:
            raise BadRequest(name, f"`{name}` is after the snapshot's date: {exc.reason}") from None


# API answers computed at once. On two cores more threads add no throughput, only contention
# for Python's lock: with the 28 threads of the shared pool busy, the event loop (which answers
# /healthz and accepts connections) waited seconds for its turn. Requests beyond these wait
# their turn without holding a thread.
_api_limiter: anyio.CapacityLimiter | None = None


def api_threads() -> int:
    return settings.number("KEZEK_API_THREADS", 2 * (os.cpu_count() or 2))


def api_limiter() -> anyio.CapacityLimiter:
    global _api_limiter
    if _api_limiter is None:  # made in the event loop that uses it
        _api_limiter = anyio.CapacityLimiter(api_threads())
    return _api_limiter


# First renders of the parents' pages and feeds (/n/{number}, its feed): each computes an
# application's history and forecast, tenths of a second. One limiter for both, half the
# API's count, so that a crowd of first visits after a publication keeps both cores busy
# without making every API answer wait behind them; repeat visits are served from their
# caches and never wait here.
_render_limiter: anyio.CapacityLimiter | None = None


def render_limiter() -> anyio.CapacityLimiter:
    global _render_limiter
    if _render_limiter is None:  # made in the event loop that uses it
        _render_limiter = anyio.CapacityLimiter(max(1, api_threads() // 2))
    return _render_limiter


def endpoint(operation: Operation, home: Path) -> Callable[[Request], Awaitable[Response]]:
    async def handle_async(request: Request) -> Response:
        return await anyio.to_thread.run_sync(handle, request, limiter=api_limiter())

    def handle(request: Request) -> Response:  # in a thread of the API's own limiter
        try:
            cur, snapshot = context.reader(home).open()
        except SnapshotUnavailable:
            return error("unavailable", 503, {"Cache-Control": "no-store", "Retry-After": "60"})
        except Exception:
            log.exception("API: opening the snapshot failed")
            return error("internal", 500, {"Cache-Control": "no-store"})
        headers: dict[str, str] = {"Cache-Control": "no-store"}
        try:
            headers = snapshot_headers(snapshot, home)
            params = query_parameters(request, operation.parameters)
            within_the_snapshot(params, snapshot)
            unknown = tabular.unknown_value(cur, snapshot.snapshot, params)
            if unknown is not None:
                raise UnknownValue(*unknown)
            path = (parse(operation.path_parameters, dict(request.path_params)).model_dump()
                    if operation.path_parameters else {})
            data = operation.handler(cur, params, **path, **({"snapshot": snapshot} if operation.takes_snapshot else {}))
            body = operation.adapter.dump_python(operation.adapter.validate_python(data), mode="json")
        except BadRequest as exc:
            return error("bad_request", 400, headers, detail=exc.detail, parameter=exc.parameter)
        except UnknownValue as exc:
            return unknown_value(exc, headers)
        except NotFound as exc:
            if not exc.number:
                return error("not_found", 404, headers)
            # How the numbers are written, in the language the reader asks for (English by default)
            lang = negotiate(request.headers.get("accept-language")) or "en"
            return error("not_found", 404, headers | {"Vary": "Accept-Language", "Content-Language": lang},
                         detail=number_hint.hint(snapshot.number_pattern, lang),
                         pattern=number_hint.pattern(snapshot.number_pattern, lang))
        except (duckdb.IOException, duckdb.SerializationException) as exc:
            # A damaged block found only by this query (the reader's check reads the first
            # rows): the publication is unavailable, not the server broken. The route's
            # template is logged, never the address: it may hold an application number.
            log.error("API: %s %s: the snapshot cannot be read: %s", request.method, operation.path,
                      str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            return error("unavailable", 503, {"Cache-Control": "no-store", "Retry-After": "60"})
        except Exception:
            log.exception("API: %s %s failed", request.method, operation.path)
            return error("internal", 500, {"Cache-Control": "no-store"})
        finally:
            cur.close()
        if not_modified(request, headers["ETag"]):
            return Response(status_code=304, headers=headers)
        if getattr(params, "format", "json") == "csv":
            items = body["items"] if isinstance(body, dict) else body
            return Response(tabular.csv_bytes(operation.item, items), 200, headers, media_type=tabular.MEDIA_TYPE)
        return json_response(body, 200, headers)

    handle_async.__name__ = operation.operation_id
    return handle_async


def openapi_endpoint(home: Path) -> Callable[[Request], Response]:
    def handle(request: Request) -> Response:
        try:
            doc, etag = openapi.document(OPERATIONS, PREFIX), openapi.etag(OPERATIONS, PREFIX)
        except Exception:
            log.exception("API: building the OpenAPI document failed")
            return error("internal", 500, {"Cache-Control": "no-store"})
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Access-Control-Allow-Origin": "*"}
        try:
            headers["X-Kezek-Snapshot"] = context.reader(home).publication().snapshot
        except Exception:  # the description does not depend on the data
            pass
        if not_modified(request, etag):
            return Response(status_code=304, headers=headers)
        return json_response(doc, 200, headers)

    return handle


def elsewhere(request: Request) -> Response:
    """Anything else under /api: JSON, not the dashboard's HTML page."""
    if request.method not in ("GET", "HEAD"):
        return error("method_not_allowed", 405, {"Allow": "GET, HEAD", "Cache-Control": "no-store"})
    return error("not_found", 404, {"Cache-Control": "no-store"})


def routes(home: str | Path) -> list[BaseRoute]:
    """The API's Starlette routes for the snapshot published in `home`."""
    home = Path(home).resolve()
    return [
        *(Route(PREFIX + op.path, endpoint(op, home), methods=["GET"], name=op.operation_id)
          for op in OPERATIONS),
        Route(PREFIX + "/openapi.json", openapi_endpoint(home), methods=["GET"], name="openapi"),
        Route("/api/{rest:path}", elsewhere, name="api_elsewhere",
              methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
    ]
