"""How old the published data are: the last successful update, its age in words, and whether
it is older than KEZEK_STALE_AFTER_DAYS.

The last successful update is the later of the snapshot's publication and the last
`kezek update` that ended with status 0 in HOME/update.log (kezek/runlog.py): a run that found
every source unchanged publishes nothing, yet tells that the data are still the latest. A
parent who sees "updated 3 days ago" on allocation day knows to check the portal too.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

from engine import settings
from i18n import t, tn

LOG = "update.log"  # kezek.runlog.LOG; not imported, so that pages need not import the update's modules
TAIL = 64 * 1024  # the last runs' lines; a year of nightly runs is about 60 KB

log = logging.getLogger(__name__)
_seen: dict[Path, tuple[tuple[int, int], dt.datetime | None]] = {}
_lock = threading.Lock()


def _moment(text: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def last_good_run(home: Path) -> dt.datetime | None:
    """When the last `kezek update` with status 0 ended, from the log's tail; None without one.
    Read again only when the log changes: a page or an API answer costs one `stat`."""
    path = home / LOG
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (stat.st_mtime_ns, stat.st_size)
    known = _seen.get(path)
    if known and known[0] == key:
        return known[1]
    found = None
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, stat.st_size - TAIL))
            lines = fh.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        parts = line.split(" ", 2)
        if len(parts) >= 2 and parts[1] == "exit=0":
            try:
                found = _moment(parts[0])
            except ValueError:  # the first, cut line of the tail
                continue
            break
    with _lock:
        _seen[path] = (key, found)
    return found


def last_update(home: Path, published_at: str | None) -> dt.datetime | None:
    """The later of the publication and the last successful run (aware, UTC or as written)."""
    known = [w for w in (_moment(published_at) if published_at else None, last_good_run(home)) if w]
    return max(known) if known else None


def limit() -> dt.timedelta:
    """KEZEK_STALE_AFTER_DAYS. A value that cannot be meant is logged and the default used:
    a warning's threshold is no reason to stop serving every page."""
    try:
        return dt.timedelta(days=settings.number("KEZEK_STALE_AFTER_DAYS"))
    except (settings.BadSetting, OverflowError) as exc:
        log.warning("%s (docs/settings.md); using %s", exc, settings.SETTINGS["KEZEK_STALE_AFTER_DAYS"].default)
        return dt.timedelta(days=float(settings.SETTINGS["KEZEK_STALE_AFTER_DAYS"].default))


def is_stale(since: dt.datetime, now: dt.datetime | None = None) -> bool:
    """Whether the last successful update is older than KEZEK_STALE_AFTER_DAYS."""
    return (now or dt.datetime.now(dt.timezone.utc)) - since > limit()


def age(since: dt.datetime, lang: str, now: dt.datetime | None = None) -> str:
    """'updated 3 days ago' in `lang`: minutes within the hour, hours within two days, else days.

    >>> then = dt.datetime(2018, 8, 1, 6, 0, tzinfo=dt.timezone.utc)
    >>> [age(then, "ru", then + dt.timedelta(**d)) for d in ({"seconds": 20}, {"minutes": 21}, {"hours": 5})]
    ['обновлено только что', 'обновлено 21 минуту назад', 'обновлено 5 часов назад']
    >>> age(then, "en", then + dt.timedelta(days=3, hours=2)), age(then, "kk", then + dt.timedelta(days=2))
    ('updated 3 days ago', '2 күн бұрын жаңартылды')
    """
    seconds = max(0, int(((now or dt.datetime.now(dt.timezone.utc)) - since).total_seconds()))
    if seconds < 60:
        return t("freshness.age_now", lang)
    if seconds < 3600:
        return tn("freshness.age_minutes", seconds // 60, lang)
    if seconds < 48 * 3600:
        return tn("freshness.age_hours", seconds // 3600, lang)
    return tn("freshness.age_days", seconds // 86400, lang)
