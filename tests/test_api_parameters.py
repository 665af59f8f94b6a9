"""What the API and `kezek lookup` accept, and that the OpenAPI description says the same.

The snapshot is test_api.py's small dataset, whose data end on 2018-08-01: a day after it
is refused (the data cannot say what the queue was then), an empty parameter is absent
only when it is free text, numbers are the digits 0-9, and an application number is what
the description's pattern says.
"""

from __future__ import annotations

import re
import urllib.parse

import pytest

from conftest import run_kezek
from dashboard.api.routes import PREFIX
from test_api import C, G, api, openapi, published, url

__all__ = ["api", "openapi", "published"]  # fixtures, imported for the tests of this module

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

AS_OF = "2018-08-01"  # the snapshot's date
REFUSED = "the published data describe the queue up to 2018-08-01"


# --- no day after the snapshot's ------------------------------------------------------------------

# (path, parameter, the snapshot's own day in that parameter's form, later values)
DAY_PARAMETERS = [
    (f"/applications/{G[8]}", "as_of", AS_OF, ["2018-08-02", "2031-01-01", "9999-12-31"]),
    (f"/applications/{C}/history", "to", AS_OF, ["2018-08-02", "9999-12-31"]),
    (f"/applications/{C}/history", "from", AS_OF, ["2031-01-01", "9999-12-31"]),
    ("/vacancies", "to", AS_OF, ["2018-08-02", "9999-12-31"]),
    ("/vacancies", "from", AS_OF, ["2031-01-01", "9999-12-31"]),
    ("/stats/segment_movement", "to", AS_OF, ["2018-08-02", "9999-12-31"]),
    ("/stats/segment_movement", "from", AS_OF, ["9999-12-31"]),
    ("/findings", "month", "2018-08", ["2018-09", "9999-12"]),
    ("/stats/findings", "month", "2018-08", ["2031-01"]),
]


@pytest.mark.parametrize("path, parameter, last, later", DAY_PARAMETERS)
def test_a_day_after_the_snapshots_is_refused_and_says_up_to_when(api, path, parameter, last, later):
    """`as_of=9999-12-31` was a 500 (no end of day to compute), `as_of=2031-01-01` the last
    state relabelled 2031; a range beyond the data implied that nothing happened there."""
    assert api.get(url(path, **{parameter: last})).status_code == 200  # the snapshot's own day is fine
    first_day = "0001-01" if parameter == "month" else "0001-01-01"  # and so are days before any data
    assert api.get(url(path, **{parameter: first_day})).status_code in (200, 404)
    for value in later:
        response = api.get(url(path, **{parameter: value}))
        assert response.status_code == 400, (value, response.text)
        assert response.json() == {"error": "bad_request", "parameter": parameter,
                                   "detail": f"`{parameter}` is after the snapshot's date: {REFUSED}"}


@pytest.mark.parametrize("options", [
    ["--as-of", "9999-12-31"], ["--as-of", "2018-08-02"],
    ["--history", "--to", "9999-12-31"], ["--history", "--from", "2031-01-01"],
])
def test_lookup_refuses_a_day_after_the_snapshots(published, options):
    done = run_kezek("lookup", G[8], *options, home=published)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.strip() == f"kezek lookup: {options[-2]} {options[-1]} is after the snapshot's date: {REFUSED}"


# --- empty and malformed values ---------------------------------------------------------------------

@pytest.mark.parametrize("path, parameter", [
    (f"/applications/{G[8]}", "as_of"), (f"/applications/{C}/history", "to"), (f"/applications/{C}/history", "from"),
    ("/vacancies", "to"), ("/vacancies", "birth_year"), ("/kindergartens", "limit"),
    ("/kindergartens", "has_vacancies"), ("/stats/segment_movement", "from"), ("/findings", "month"),
    ("/findings", "type"), ("/findings", "application_number"), ("/stats/findings", "month"),
])
def test_an_empty_value_that_is_not_free_text_is_malformed(api, path, parameter):
    """The description's pattern or type forbids the empty value, so the server does too
    (it took `?to=` for no `to`); an empty free-text parameter stays absent."""
    response = api.get(f"{PREFIX}{path}?{parameter}=")
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == parameter
    assert api.get(f"{PREFIX}/kindergartens?region=").json()["total"] == 6  # free text: absent, as before


@pytest.mark.parametrize("path, parameter, value", [
    ("/findings/{}", "finding_id", "1.0"), ("/kindergartens", "limit", "+5"), ("/kindergartens", "offset", " 1"),
    ("/vacancies", "birth_year", "2_015"), ("/queue?region=Астана&birth_year=2016", "limit", "05.0"),
])
def test_a_number_is_the_digits_0_to_9(api, path, parameter, value):
    """pydantic alone took `1.0` as 1 (and `+5`, ` 1`, `2_015`); the description says integer."""
    if "{}" in path:
        response = api.get(PREFIX + path.format(urllib.parse.quote(value)))
    else:
        response = api.get(PREFIX + path + ("&" if "?" in path else "?") + urllib.parse.urlencode({parameter: value}))
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == parameter
    assert "digits 0-9" in response.json()["detail"]


# --- application numbers: the description's pattern is the server's ---------------------------------

TYPED = [G[8], G[8].lower(), " УО.2018. 000013.1 ", "uo.2018.000013.1", "yo.2018.000013.1", "УО.2018.000013.1\u00a0",
         "x" * 64, "x " * 64, "УО.2099.000001.1", "..",
         "", " ", "x" * 65, "Ëäß6", "ı", "1' OR '1'='1", "УО 2018 * 13", "УО.2018.000013.1\n", "%"]


@pytest.mark.parametrize("where", ["path", "/queue", "/findings"])
def test_an_application_number_is_what_the_description_says(api, openapi, where):
    """The server took `Ëäß6` (findings) but gave 400 for numbers the description, with no
    pattern, allowed: now each parameter publishes the pattern the server applies."""
    if where == "path":
        template, name = PREFIX + "/applications/{number}", "number"
    else:
        template, name = PREFIX + where, "number" if where == "/queue" else "application_number"
    (schema,) = [p["schema"] for p in openapi["paths"][template]["get"]["parameters"] if p["name"] == name]
    for typed in TYPED:
        if where == "path":
            if not typed.strip():
                continue  # an empty path segment is another route
            response = api.get(PREFIX + "/applications/" + urllib.parse.quote(typed, safe=""))
        else:
            response = api.get(f"{PREFIX}{where}?{urllib.parse.urlencode({name: typed})}")
        described = re.fullmatch(schema["pattern"], typed) is not None
        assert (response.status_code != 400) == described, (typed, response.status_code, response.text)
        if not described:
            assert response.json()["parameter"] == name
