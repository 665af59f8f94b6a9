"""The `kezek` command line (interfaces.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

from engine import settings

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_NOT_FOUND = 0, 1, 2, 3


def _home_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--home", help="home folder (default: $KEZEK_HOME, else ./data)")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="kezek", description="Kazakhstan's kindergarten queue, public and checkable.")
    sub = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("update", help="ingest sources, recompute and publish a new snapshot")
    p.add_argument("--source", action="append", required=True, metavar="SRC",
                   help="a dataset folder or .zip, a series (a folder of dated snapshot folders) or git:PATH, "
                        "or demo:PRESET (astana-2017, almaty, national); repeatable")
    p.add_argument("--mapping", type=Path, help="mapping file (TOML) for exports laid out differently")
    p.add_argument("--check", action="store_true",
                   help="validate only: list every problem at once, publish nothing (exit 0: an update would publish; 2: bad input)")
    p.add_argument("--lang", choices=("kk", "ru", "en"),
                   help="language of the messages (default: the locale, LC_ALL, LC_MESSAGES or LANG; else en)")
    _home_arg(p)

    p = sub.add_parser("lookup", help="one application's state and queue numbers")
    p.add_argument("number", help="application number, typed any way (case, Latin look-alikes, spaces, dashes, "
                   "dots or none between its parts, leading zeros or none)")
    p.add_argument("--as-of", type=dt.date.fromisoformat, metavar="DATE", help="end of this day (YYYY-MM-DD), not after the snapshot's date (exit 2); default: latest")
    p.add_argument("--history", action="store_true",
                   help="the queue number on each day it changed, with the causes of each change")
    p.add_argument("--from", dest="first", type=dt.date.fromisoformat, metavar="DATE",
                   help="with --history: first day (default: the day of registration)")
    p.add_argument("--to", dest="last", type=dt.date.fromisoformat, metavar="DATE",
                   help="with --history: last day (default: --as-of, else latest)")
    p.add_argument("--forecast", action="store_true",
                   help="when the number is likely reached: 10/50/90 %% dates and what they rest on (latest snapshot)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--lang", choices=("kk", "ru", "en"), default="en",
                   help="language of the causes and summary with --history, and of the hint when the number is not found (default en)")
    _home_arg(p)

    p = sub.add_parser("audit", help="the audit findings: offers and referrals that broke the queue rules")
    p.add_argument("--json", action="store_true", help="print one JSON document: {findings: [...], summary: {TYPE: count}}")
    p.add_argument("--type", metavar="T", help="only findings of this type (e.g. out_of_order_offer)")
    p.add_argument("--lang", choices=("kk", "ru", "en"), default="en", help="language of the explanations in the lines (default en)")
    _home_arg(p)

    p = sub.add_parser("export", help="write the published tables as open data")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--format", default="csv,parquet", help="comma-separated: csv, parquet (default both)")
    _home_arg(p)

    p = sub.add_parser("serve", help="serve the dashboard and the HTTP API")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    _home_arg(p)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from engine.store import resolve_home

    home = resolve_home(args.home)
    try:
        return COMMANDS[args.command](args, home)
    except KeyboardInterrupt:
        return EXIT_FAILURE
    except Exception as exc:
        if settings.flag("KEZEK_DEBUG") or not _damaged(exc):
            raise
        # A damaged snapshot file: one line and exit 1, never DuckDB's traceback.
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"kezek {args.command}: the published snapshot cannot be read ({first}); "
              "publish it again with `kezek update --source …`", file=sys.stderr)
        return EXIT_FAILURE


def _damaged(exc: Exception) -> bool:
    import duckdb

    return isinstance(exc, duckdb.Error)


def _update(args, home: Path) -> int:
    from kezek.messages import language
    from kezek.runlog import record

    args.lang = language(args.lang)
    if args.check:  # nothing happens to the publication: not a run of update.log
        return _run_update(args, home)[0]
    started = time.monotonic()
    status, outcome = _run_update(args, home)
    record(home, args.source, status, outcome, time.monotonic() - started)
    return status


def _say(text: str) -> None:
    """A line of `kezek update` on stderr: addresses without passwords or keys, file names
    that are not UTF-8 escaped (ingest/redaction.py), person-shaped values masked, also in
    messages Kezek did not write (a DuckDB error quoting a value; ingest/privacy.py)."""
    from ingest.privacy import mask
    from ingest.redaction import redact

    print(mask(redact(text)), file=sys.stderr)


def _run_update(args, home: Path) -> tuple[int, str]:
    """(exit status, the outcome in a few words for the run log)."""
    from engine.settings import BadSetting
    from ingest.problems import BadInput
    from ingest.remote import RemoteError
    from kezek import messages
    from kezek.pipeline import UpdateRunning, check, update

    try:
        report = check(args.source, args.mapping) if args.check else update(args.source, home, args.mapping)
    except BadInput as exc:
        headline, *lines = messages.bad_input_lines(exc, args.lang, args.check, messages.write_report(exc, args.lang, home))
        _say(f"kezek update: {headline}")
        _say("\n".join(lines))
        return EXIT_BAD_INPUT, f"bad input ({exc.total} problems), nothing published"
    except BadSetting as exc:
        _say(f"kezek update: {exc} (docs/settings.md); nothing published")
        return EXIT_BAD_INPUT, f"bad setting: {exc}"
    except UpdateRunning as exc:
        _say(f"kezek update: {exc}")
        return EXIT_FAILURE, "another update was running"
    except RemoteError as exc:
        _say(f"kezek update: could not fetch the source, nothing published: {exc}")
        return EXIT_FAILURE, f"could not fetch the source: {exc}"
    except Exception as exc:  # one clear line, never a traceback; the previous snapshot stays
        if settings.flag("KEZEK_DEBUG"):
            raise
        line = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        _say(f"kezek update: failed, nothing published: {line}")
        return EXIT_FAILURE, f"failed: {line}"
    # Published already: what is printed can no longer change the outcome (file names that
    # are not UTF-8 escaped, person-shaped values masked).
    from ingest.privacy import mask
    from ingest.redaction import printable

    warned = messages.warnings(report.notices)  # on stderr; the other notices with the report
    told = messages.notice_lines([n for n in report.notices if n not in warned], args.lang)
    try:
        lines = (messages.check_lines if report.checked else messages.report_lines)(report, args.lang)
        print(mask(printable("\n".join([*lines, *(f"  {line}" for line in told)]))))
    except (OSError, ValueError):
        pass
    messages.clear_report(home)
    if report.unchanged:
        return EXIT_OK, "unchanged, nothing published"
    for warning in messages.notice_lines([*warned, *report.warnings], args.lang):  # published all the same
        _say(f"kezek update: {messages.warning(warning, args.lang)}")
    rows = ", ".join(f"{k} {v}" for k, v in report.rows.items())
    warned = "".join(f"; warning: {w}" for w in [*warned, *report.warnings])  # in English, as the log is
    return EXIT_OK, f"published {report.snapshot} (data as of {report.as_of}; {rows}){warned}"


def _open(home: Path):
    from engine.store import SnapshotUnavailable, current, open_snapshot

    try:
        return open_snapshot(current(home).path)
    except SnapshotUnavailable as exc:
        print(f"kezek: {exc}; publish one with `kezek update --source …`", file=sys.stderr)
        return None


def _lookup(args, home: Path) -> int:
    from engine.application_number import is_well_formed
    from engine.lookup import AfterTheData, lookup, snapshot_as_of, within_the_data

    con = _open(home)
    if con is None:
        return EXIT_FAILURE
    as_of = snapshot_as_of(con)
    for option, day in (("--as-of", args.as_of), ("--from", args.first), ("--to", args.last)):
        try:  # a later day would get the last known state under its date (or, near 9999, a crash)
            within_the_data(day, as_of)
        except AfterTheData as exc:
            print(f"kezek lookup: {option} {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.history:
        return _history(args, con)
    if args.forecast:
        return _forecast(args, con)
    doc = lookup(con, args.number, args.as_of) if is_well_formed(args.number) else None
    if doc is None:
        return _not_found(args, con, f" on {args.as_of}" if args.as_of else "")
    _print_document(doc, args.json)
    return EXIT_OK


def _not_found(args, con, when: str = "") -> int:
    """Not found, and how the publication's numbers are written, in `--lang` (never an example)."""
    from dashboard import number_hint
    from engine.store import describe

    hint = number_hint.hint(describe(con).number_pattern, args.lang)
    print(f"kezek lookup: application {args.number!r} not found{when}. {hint}", file=sys.stderr)
    return EXIT_NOT_FOUND


def _print_document(doc: dict, as_json: bool) -> None:
    """One JSON document, or a `key: value` line per field."""
    if as_json:
        print(json.dumps(doc, ensure_ascii=False))
    else:
        for key, value in doc.items():
            if isinstance(value, dict):  # status_detail: a line per field, not a Python dict
                for inner, item in value.items():
                    print(f"{key}.{inner}: {'' if item is None else item}")
            else:
                print(f"{key}: {'' if value is None else value}")


def _history(args, con) -> int:
    from dashboard.components.causes import causes_words, summary
    from engine.application_number import is_well_formed
    from engine.history import history

    try:
        doc = history(con, args.number, args.first, args.last or args.as_of) if is_well_formed(args.number) else None
    except ValueError as exc:
        print(f"kezek lookup: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if doc is None:
        return _not_found(args, con)
    if args.json:
        _print_document(doc, as_json=True)
        return EXIT_OK
    if doc.get("observed_since"):
        print(f"observed from {doc['observed_since']}, the first snapshot of the series; nothing before it")
    if doc.get("rules_unknown"):
        print("the queue rules of this region are not known: no number is computed; the places the city published:")
    said = summary(doc, args.lang)
    if said:  # the whole history in one sentence, as on the Lookup page
        print(said)
    for day in doc["days"]:  # each change with its causes in the page's words
        causes = causes_words(day["causes"], args.lang)
        number = "—" if day["queue_number"] is None else day["queue_number"]
        print(f"{day['date']}  {number}  ({day['change']:+d}{': ' + causes if causes else ''})")
    if doc.get("rules_unknown"):  # every place a city published, the days it changed
        for place in doc["places"]:
            if place["change"] is None or place["change"]:
                change = "first published" if place["change"] is None else f"{place['change']:+d}"
                print(f"{place['date']}  {place['queue_number']}  in {place['queue_id']}  ({change})")
    return EXIT_OK


def _forecast(args, con) -> int:
    from engine.application_number import is_well_formed
    from engine.forecast import forecast
    from engine.lookup import find

    found = find(con, args.number) if is_well_formed(args.number) else None
    if found is None:
        return _not_found(args, con)
    doc = forecast(con, found["application_number"])
    _print_document(doc, args.json)
    return EXIT_OK


def _audit(args, home: Path) -> int:
    from engine.audit import FINDING_TYPES
    from engine.audit.report import document

    if args.type and args.type not in FINDING_TYPES:
        print(f"kezek audit: unknown type {args.type!r}; expected one of: {', '.join(FINDING_TYPES)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    con = _open(home)
    if con is None:
        return EXIT_FAILURE
    doc = document(con, args.type)
    if doc is None:
        print("kezek audit: the published snapshot has no audit; publish a new one with `kezek update`", file=sys.stderr)
        return EXIT_FAILURE
    if args.json:
        print(json.dumps(doc, ensure_ascii=False))
        return EXIT_OK
    for f in doc["findings"]:
        where = " ".join(x for x in (f["application_number"], f["bulletin_id"], f["kindergarten_id"]) if x)
        print(f"{f['at']}  {f['type']} ({f['rule']})  {where}: {f['explanation'][args.lang]}")
    total = sum(doc["summary"].values())
    print(f"{total} finding{'s' if total != 1 else ''}: " + ", ".join(f"{k} {v}" for k, v in doc["summary"].items()))
    return EXIT_OK


def _export(args, home: Path) -> int:
    from kezek.export import FORMATS, export

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        print(f"kezek export: unknown format {', '.join(unknown) or '(none)'}; expected csv, parquet", file=sys.stderr)
        return EXIT_BAD_INPUT
    con = _open(home)
    if con is None:
        return EXIT_FAILURE
    written = export(con, args.out, formats)
    print(f"exported {len(written)} files to {args.out}")
    return EXIT_OK


def _serve(args, home: Path) -> int:
    from dashboard.server import serve
    from engine.settings import BadSetting

    try:
        serve(home, args.host, args.port)
    except BadSetting as exc:
        print(f"kezek serve: {exc} (docs/settings.md)", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


COMMANDS = {"update": _update, "lookup": _lookup, "audit": _audit, "export": _export, "serve": _serve}

if __name__ == "__main__":
    sys.exit(main())
