"""A schemathesis check for tests/test_api_fuzz.py (loaded through SCHEMATHESIS_HOOKS).

The OpenAPI description states in words four refusals of requests its schemas allow,
because a JSON Schema cannot say them: a day after the snapshot's date (the bound moves with
every publication), `to` before `from`, /queue without `region` and `birth_year` when no
`number` is given, and a region, locality, district, language or ownership the publication
does not hold (the values it holds change with every publication). The run lets a 400 pass
schemathesis' "valid data accepted" check, and this check makes sure that such a 400 is one
of those four and nothing else.
"""

from __future__ import annotations

import re

import schemathesis

STATED = re.compile(
    r"`(as_of|from|to|month)` is after the snapshot's date: the published data describe the queue up to "
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"|`to` is before `from`"
    r"|required unless `number` is given"
    r"|(region|locality|district|language|ownership): .* is not in the data; expected one of: .*",
    re.DOTALL,
)


@schemathesis.check
def refused_only_as_stated(ctx, response, case):
    """A 400 to a request the description allows gives a reason the description states."""
    if response.status_code != 400 or case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    detail = response.json().get("detail", "")
    if not STATED.fullmatch(detail):
        raise AssertionError(f"400 to a request the description allows, for a reason it does not state: {detail}")
    return None
