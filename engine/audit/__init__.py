"""The audit: replay each vacancy bulletin under the rules in force and report every offer or
referral that broke them (queue-rules.md, F), with evidence.

`run(con, ...)` runs inside `kezek update`, after the queue is numbered: the connection
holds the validated canonical tables `c_*` (with birth dates) in memory and the snapshot
being built attached as `snap`. The replay works in a private schema `audit` of the
in-memory database, in the SQL files of `engine/audit/sql/` (run in name order, each on
one concern, with the rule ids in comments), and writes only its results to the snapshot:

- `findings`: one row per finding — type, rule, application, bulletin, kindergarten, the
  instant, the evidence (JSON text) and a one-sentence explanation in Kazakh, Russian and
  English from the catalogs in `engine/audit/texts/`;
- `legitimate`: the referrals that are out of queue order by design (A9: staff_child,
  free_choice after the window, private_state_order), listed, never flagged;
- `audit_rules`: every parameter value the replay applied, per region and period, with its
  unit and source;
- `audit_position_offsets`: published minus recomputed queue numbers, when the data carry
  `positions`.

Birth dates stay in memory: the findings carry ages in full years, never a date of birth.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from contextlib import contextmanager, nullcontext
from functools import cache
from importlib import resources

import duckdb

from engine import ruleset as rulesets
from engine.schema import CHANNEL, EVENT, PRIVILEGE, STATUS
from engine.workdays import create_calendar

FINDING_TYPES = (
    "out_of_order_offer",
    "referral_without_offer",
    "early_free_choice",
    "blocked_recipient",
    "underage",
    "unconfirmed_privilege",
    "overdue_referral",
    "missed_removal",
    "ratio_breach",
    "overbooked_bulletin",
    "position_mismatch",
    "inconsistent_record",
    # facts read off a series and its published numbers, whatever the rules (08_series.sql)
    "registration_changed",
    "backdated_entry",
    "unexplained_jump",
)
# Facts of a series, read off its snapshots; a status log has none (tests/scenarios/f_series_*).
SERIES_FINDINGS = ("registration_changed", "backdated_entry", "unexplained_jump")
LANGUAGES = ("kk", "ru", "en")
LEGITIMATE_CHANNELS = {"staff_child": "A9", "free_choice": "A3", "private_state_order": "A6"}
# Findings about what followed a referral, not about its issue: a referral with any other
# finding on its own event is not listed as legitimate.
AFTERMATH_FINDINGS = ("overdue_referral", "unconfirmed_privilege", "missed_removal")

FINDINGS_COLUMNS = (
    "finding_id INTEGER, type VARCHAR, rule VARCHAR, application_number VARCHAR, bulletin_id VARCHAR, "
    "kindergarten_id VARCHAR, \"at\" TIMESTAMP, evidence VARCHAR, explanation_kk VARCHAR, explanation_ru VARCHAR, "
    "explanation_en VARCHAR, variant VARCHAR, event_seq BIGINT"
)


class UnknownRuleset(ValueError):
    """dataset.json names a ruleset Kezek does not know."""


@cache
def sql_files() -> tuple[tuple[str, str], ...]:
    folder = resources.files("engine").joinpath("audit", "sql")
    return tuple(sorted((p.name, p.read_text(encoding="utf-8")) for p in folder.iterdir() if p.name.endswith(".sql")))


@cache
def texts() -> dict[str, dict[str, str]]:
    """Explanation templates: {language: {key: template}}; a key is a finding type, or
    `type.variant` for a finding with a variant, or `legitimate.channel`."""
    folder = resources.files("engine").joinpath("audit", "texts")
    return {lang: json.loads(folder.joinpath(f"{lang}.json").read_text(encoding="utf-8")) for lang in LANGUAGES}


def placeholders() -> list[str]:
    names = {m for catalog in texts().values() for t in catalog.values() for m in re.findall(r"\{(\w+)\}", t)}
    return sorted(names)


def run(con: duckdb.DuckDBPyConnection, *, ruleset: str | rulesets.Ruleset | None = None,
        data_end: dt.datetime | None = None,
        out: str = "snap", keep: bool = False) -> dict:
    """Replay and audit; write `findings`, `legitimate`, `audit_rules`, `audit_position_offsets`
    into the schema `out`. Returns {"findings": {type: count}, "legitimate": {channel: count},
    "timings": {file: seconds}}."""
    if isinstance(ruleset, str) and ruleset not in rulesets.rulesets():
        raise UnknownRuleset(f"dataset.json names ruleset {ruleset!r}; known: {', '.join(rulesets.rulesets())}")
    con.execute("USE memory")
    con.execute("DROP SCHEMA IF EXISTS audit CASCADE")
    con.execute("CREATE SCHEMA audit")
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    _context(con, ruleset, data_end)
    timings["context"] = time.perf_counter() - clock
    for name, text in sql_files():
        clock = time.perf_counter()
        with written_join_order(con) if name in WRITTEN_JOIN_ORDER else nullcontext():
            con.execute(text)
        timings[name] = time.perf_counter() - clock
    clock = time.perf_counter()
    _publish(con, out)
    timings["publish"] = time.perf_counter() - clock
    summary = dict(con.execute(f"SELECT type, count(*) FROM {out}.findings GROUP BY type").fetchall())
    legitimate = dict(con.execute(f"SELECT channel, count(*) FROM {out}.legitimate GROUP BY channel").fetchall())
    if not keep:  # `keep`: leave the working tables for inspection (tests, debugging)
        con.execute("DROP SCHEMA audit CASCADE")
    return {"findings": {t: summary.get(t, 0) for t in FINDING_TYPES}, "legitimate": legitimate, "timings": timings}


# The files whose joins run in the order they are written (see `written_join_order`).
WRITTEN_JOIN_ORDER = {"04_offers.sql"}


@contextmanager
def written_join_order(con: duckdb.DuckDBPyConnection):
    """Run a file's joins in the order its SQL writes them.

    DuckDB orders a multi-way join by estimates from the tables' statistics, which depend on
    how parallel inserts laid the rows out: on the very same national data it sometimes
    joined the candidates to the offer groups of 04_offers.sql on time ranges alone, before
    any key (a million times 25 000 rows: 20 GB of memory, then a full disk of spill). That
    file joins on keys first, so its written order is the plan, the same on every run.
    """
    previous = con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]
    disabled = ",".join(filter(None, [previous, "join_order"]))
    con.execute(f"SET disabled_optimizers = '{disabled}'")
    try:
        yield
    finally:
        con.execute(f"SET disabled_optimizers = '{previous}'")


def _context(con: duckdb.DuckDBPyConnection, ruleset: str | rulesets.Ruleset | None,
             data_end: dt.datetime | None) -> None:
    first, last, latest = con.execute(
        """SELECT min(t)::DATE, max(t)::DATE, max(t) FROM (
               SELECT registered_at AS t FROM c_applications
               UNION ALL SELECT status_at FROM c_applications
               UNION ALL SELECT "at" FROM c_events
               UNION ALL SELECT announced_at FROM c_vacancies
               UNION ALL SELECT CAST(as_of AS TIMESTAMP) FROM c_positions)"""
    ).fetchall()[0]
    today = dt.date.today()
    first, last = first or today, last or today
    # Deadlines reach past the data: a year of stop-lists, extensions and E4 deadlines.
    create_calendar(con, first - dt.timedelta(days=370), last + dt.timedelta(days=400), schema="audit")
    con.execute(
        "CREATE TABLE audit.context AS SELECT $end AS data_end, "
        "EXISTS (SELECT 1 FROM c_events WHERE event = 'privilege_confirmed') AS has_privilege_confirmations, "
        "EXISTS (SELECT 1 FROM c_events WHERE event = 'interest_confirmed') AS has_interest_confirmations, "
        "EXISTS (SELECT 1 FROM c_events WHERE event = 'enrolled') AS has_enrolments",
        {"end": data_end or latest or dt.datetime.combine(today, dt.time())},
    )
    series = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'snap' "
                         "AND table_name = 'series_snapshots'").fetchone()[0]
    con.execute("CREATE TABLE audit.series_snapshots AS " + (
        "SELECT snapshot_at, lists_applications FROM snap.series_snapshots" if series
        else "SELECT CAST(NULL AS TIMESTAMP) AS snapshot_at, CAST(NULL AS BOOLEAN) AS lists_applications WHERE false"))
    # the vocabularies of the format as small types for the large tables (one byte a value)
    for name, values in (("status_t", STATUS), ("event_t", EVENT), ("privilege_t", PRIVILEGE), ("channel_t", CHANNEL)):
        con.execute(f"CREATE TYPE audit.{name} AS ENUM ({', '.join(repr(v) for v in values)})")
    regions = [r for (r,) in con.execute(
        "SELECT DISTINCT region FROM (SELECT region FROM c_applications UNION SELECT region FROM c_kindergartens) "
        "WHERE region IS NOT NULL ORDER BY 1").fetchall()]
    rows = rulesets.periods(regions, ruleset) if regions else []
    specs = rulesets.parameter_specs()
    columns = {"region": "VARCHAR", "valid_from": "TIMESTAMP", "valid_until": "TIMESTAMP", "ruleset": "VARCHAR"}
    for name, spec in specs.items():
        numeric = not spec.choices and spec.units != ["month_day"]
        columns[name] = "BIGINT" if numeric else "VARCHAR"
        columns[f"{name}_unit"] = "VARCHAR"
        columns[f"{name}_source"] = "VARCHAR"
    # Inserted row by row (a few rows a region), not through an Arrow table: building Arrow
    # arrays imports pandas, which costs an update more time than the audit of a small city.
    con.execute(f"CREATE TABLE audit.rules ({', '.join(f'{k} {t}' for k, t in columns.items())})")
    if rows:
        con.executemany(f"INSERT INTO audit.rules VALUES ({', '.join('?' * len(columns))})",
                        [[r[k] for k in columns] for r in rows])


# Placeholders whose value is a code of the format (a status, an event): the sentence says it
# in the words of its language, the dashboard's names for it (i18n/{kk,ru,en}.json).
WORDED = {"status": ("status", STATUS), "status_before": ("status", STATUS),
          "status_from_events": ("status", STATUS), "event": ("event", EVENT)}


def _in_words(raw: str, name: str, lang: str) -> str:
    """SQL giving the word for the code `raw` evaluates to, the code itself where none is known."""
    from i18n import t

    prefix, codes = WORDED[name]
    words = {code: t(f"{prefix}.{code}", lang) for code in codes}
    # mid-sentence: "(стоп-лист)", not "(Стоп-лист)"
    cases = " ".join(f"WHEN '{code}' THEN '{(w[:1].lower() + w[1:]).replace(chr(39), chr(39) * 2)}'"
                     for code, w in words.items())
    return f"CASE {raw} {cases} ELSE {raw} END"


def _as_written(raw: str, lang: str) -> str:
    """SQL writing the date, or date and time, that `raw` evaluates to as the language writes
    it (01.08.2018 17:29 in Kazakh and Russian, 2018-08-01 17:29 in English), to the minute;
    any other value as it is."""
    from i18n import date_pattern

    day = date_pattern(lang).replace("%Y", "\\1").replace("%m", "\\2").replace("%d", "\\3")
    return f"regexp_replace({raw}, '^(\\d{{4}})-(\\d{{2}})-(\\d{{2}})( \\d{{2}}:\\d{{2}})?(:\\d{{2}})?$', '{day}\\4')"


def _explanation(lang: str) -> str:
    """SQL filling the template of `lang` (column `t_{lang}`) from the finding's columns and evidence."""
    from i18n import date_pattern

    expr = f"t_{lang}"
    for name in placeholders():
        if name in ("application_number", "bulletin_id", "kindergarten_id"):
            value = f"f.{name}"
        elif name == "at":
            value = f"strftime(f.\"at\", '{date_pattern(lang)} %H:%M')"
        elif name in WORDED:
            value = _in_words(f"json_extract_string(f.evidence, '$.{name}')", name, lang)
        else:
            value = _as_written(f"json_extract_string(f.evidence, '$.{name}')", lang)
        expr = f"replace({expr}, '{{{name}}}', coalesce(CAST({value} AS VARCHAR), '—'))"
    return expr


def _publish(con: duckdb.DuckDBPyConnection, out: str) -> None:
    catalogs = texts()
    keys = sorted(catalogs["en"])
    con.execute("CREATE TABLE audit.texts (key VARCHAR, t_kk VARCHAR, t_ru VARCHAR, t_en VARCHAR)")
    con.executemany("INSERT INTO audit.texts VALUES (?, ?, ?, ?)", [(k, *(catalogs[l][k] for l in LANGUAGES)) for k in keys])
    parts = " UNION ALL BY NAME ".join(f"SELECT * FROM audit.f_{t}" for t in FINDING_TYPES)
    con.execute(f"""
        CREATE TABLE audit.findings AS
        WITH f AS (
            SELECT type, rule, application_number, bulletin_id, kindergarten_id, "at", event_seq,
                   CAST(evidence AS VARCHAR) AS evidence, variant
            FROM ({parts})
        ),
        t AS (
            SELECT f.*, coalesce(tv.t_kk, tt.t_kk) AS t_kk, coalesce(tv.t_ru, tt.t_ru) AS t_ru, coalesce(tv.t_en, tt.t_en) AS t_en
            FROM f
            LEFT JOIN audit.texts AS tv ON tv.key = f.type || '.' || f.variant
            LEFT JOIN audit.texts AS tt ON tt.key = f.type
        )
        SELECT CAST(row_number() OVER (ORDER BY "at", type, application_number, bulletin_id, event_seq, evidence) AS INTEGER) AS finding_id,
               type, rule, application_number, bulletin_id, kindergarten_id, "at", evidence,
               {_explanation('kk')} AS explanation_kk, {_explanation('ru')} AS explanation_ru,
               {_explanation('en')} AS explanation_en, variant, event_seq
        FROM t AS f
    """)
    con.execute(f"CREATE TABLE {out}.findings ({FINDINGS_COLUMNS})")
    con.execute(f"INSERT INTO {out}.findings SELECT * FROM audit.findings ORDER BY finding_id")
    channels = ", ".join(f"'{c}'" for c in LEGITIMATE_CHANNELS)
    rules = " ".join(f"WHEN '{c}' THEN '{r}'" for c, r in LEGITIMATE_CHANNELS.items())
    aftermath = ", ".join(f"'{t}'" for t in AFTERMATH_FINDINGS)
    con.execute(f"""
        CREATE TABLE {out}.legitimate AS
        SELECT r.application_number, r."at", r.channel, CASE r.channel {rules} END AS rule,
               r.bulletin_id, r.place_kindergarten_id AS kindergarten_id,
               x.t_kk AS explanation_kk, x.t_ru AS explanation_ru, x.t_en AS explanation_en, r.seq AS event_seq
        FROM audit.referrals AS r
        JOIN audit.texts AS x ON x.key = 'legitimate.' || r.channel
        WHERE r.channel IN ({channels})
          AND r.seq NOT IN (SELECT event_seq FROM audit.findings WHERE type NOT IN ({aftermath}) AND event_seq IS NOT NULL)
        ORDER BY r."at", r.seq
    """)
    unpivot = " UNION ALL ".join(
        f"SELECT region, valid_from, valid_until, ruleset, '{p}' AS parameter, CAST({p} AS VARCHAR) AS value, "
        f"{p}_unit AS unit, {p}_source AS source FROM audit.rules"
        for p in rulesets.parameter_specs()
    )
    con.execute(f"CREATE TABLE {out}.audit_rules AS SELECT * FROM ({unpivot}) ORDER BY region, valid_from, parameter")
    con.execute(f"""
        CREATE TABLE {out}.audit_position_offsets AS
        SELECT "offset", count(*) AS applications FROM audit.position_check WHERE recomputed IS NOT NULL
        GROUP BY "offset" ORDER BY "offset"
    """)
