"""Settings of `kezek serve` read from the environment (docs/deployment.md), checked when the
server starts: a value that cannot be meant (`0` threads, a timeout of `-1`, a word) stops it
with one line instead of a server that hangs or drops every connection."""

from __future__ import annotations

import math
import os


class BadSetting(ValueError):
    """An environment variable of Kezek's has a value it cannot use."""


def positive(name: str, default: float, kind: type = float) -> float:
    """The value of environment variable `name` (`kind`, above 0), else `default`.

    >>> os.environ["KEZEK_EXAMPLE"] = "0"; positive("KEZEK_EXAMPLE", 5)
    Traceback (most recent call last):
    ...
    settings.BadSetting: KEZEK_EXAMPLE must be a number above 0, not '0'
    """
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or value <= 0:
        raise BadSetting(f"{name} must be a {'whole ' if kind is int else ''}number above 0, not {text!r}")
    return value
