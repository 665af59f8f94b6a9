"""Every setting Kezek reads from the environment, in one registry: its name, default, kind
and meaning. A value is read when it is used (never at import), and checked: a value that
cannot be meant (`0` threads, a timeout of `-1`, a word) is one clear line, not a server that
hangs or a download that never ends.

`python -m engine.settings > docs/settings.md`; a test fails when the file is stale or when
the code reads a `KEZEK_` variable this registry does not declare.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass


class BadSetting(ValueError):
    """An environment variable of Kezek's has a value it cannot use."""


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str  # "path", "text", "list" (comma-separated), "flag" (any value: on), "number", "whole number"
    default: object
    used_by: str
    help: str

    def shown_default(self) -> str:
        if self.default is None or self.default == "":
            return "—"
        return f"`{self.default}`"


SETTINGS = {s.name: s for s in (
    Setting("KEZEK_HOME", "path", "data", "every command",
            "The home folder: publications, archive, logs (`--home` wins)."),
    Setting("KEZEK_DEBUG", "flag", "", "every command",
            "Any value: an unexpected failure prints its whole traceback instead of one line."),
    Setting("KEZEK_HTTP_CONNECT_TIMEOUT", "number", 10, "kezek update (remote sources)",
            "Seconds to wait for a connection to a remote source."),
    Setting("KEZEK_HTTP_READ_TIMEOUT", "number", 60, "kezek update (remote sources)",
            "Seconds to wait for the next bytes of a download."),
    Setting("KEZEK_HTTP_ATTEMPTS", "whole number", 5, "kezek update (remote sources)",
            "Tries of a download on connection errors, 429 and 5xx."),
    Setting("KEZEK_HTTP_BACKOFF", "number", 1.0, "kezek update (remote sources)",
            "Seconds before the second try; doubled before each next one (with jitter; Retry-After wins)."),
    Setting("KEZEK_HTTP_MAX_BYTES", "whole number", 4 << 30, "kezek update (remote sources)",
            "The largest file a download may be, in bytes."),
    Setting("KEZEK_HTTP_ALLOW_HOSTS", "list", "", "kezek update (remote sources)",
            "Hosts (host or host:port, comma-separated) a redirect may lead to besides the source's own."),
    Setting("KEZEK_SERIES_FOLD_ROWS", "whole number", 3_000_000, "kezek update (series)",
            "Rows of a series' snapshots held at once before they are reduced with the ones before "
            "(lower: less memory, a little more time)."),
    Setting("KEZEK_API_THREADS", "whole number", None, "kezek serve",
            "Requests of the JSON API served at once (default: twice the cores)."),
    Setting("KEZEK_HEADER_TIMEOUT", "number", 10, "kezek serve",
            "Seconds a client has to send a request's headers before the connection is closed."),
    Setting("KEZEK_STALE_AFTER_DAYS", "number", 2, "kezek serve",
            "Days after the last successful `kezek update` (one that published, or found the sources "
            "unchanged) after which every page warns that the data may be out of date."),
    Setting("KEZEK_SLOW", "flag", "", "the test suite (`make test-slow` sets it)",
            "Any value: also the slow tests (the national preset, long property runs)."),
)}


def text(name: str) -> str:
    """The raw value of a declared setting, or its default as text."""
    setting = SETTINGS[name]  # KeyError: read only what is declared (and documented)
    value = os.environ.get(name, "").strip()
    return value or ("" if setting.default is None else str(setting.default))


def flag(name: str) -> bool:
    return bool(text(name))


def items(name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text(name).split(",") if part.strip())


def number(name: str, default: float | None = None) -> float:
    """A setting of kind number or whole number, above 0; `default` for a setting whose
    default depends on the machine (KEZEK_API_THREADS).

    >>> os.environ["KEZEK_API_THREADS"] = "0"; number("KEZEK_API_THREADS", 4)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    BadSetting: KEZEK_API_THREADS must be a whole number above 0, not '0'
    >>> os.environ["KEZEK_API_THREADS"] = "3"; number("KEZEK_API_THREADS", 4)
    3
    >>> del os.environ["KEZEK_API_THREADS"]; number("KEZEK_API_THREADS", 4)
    4
    """
    setting = SETTINGS[name]
    whole = setting.kind == "whole number"
    raw = os.environ.get(name, "").strip()
    if not raw:
        value = setting.default if setting.default is not None else default
        return int(value) if whole else float(value)
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or value <= 0:
        raise BadSetting(f"{name} must be a {'whole ' if whole else ''}number above 0, not {raw!r}")
    return value


def markdown() -> str:
    out = ["# Settings", "",
           "Generated from `engine/settings.py` by `python -m engine.settings`; do not edit by hand.",
           "Every setting is an environment variable, read when it is used; a number that is not",
           "above 0 stops the command with one line naming the setting.", "",
           "| setting | kind | default | used by | meaning |", "|---|---|---|---|---|"]
    out += [f"| `{s.name}` | {s.kind} | {s.shown_default()} | {s.used_by} | {s.help} |" for s in SETTINGS.values()]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
