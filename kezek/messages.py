"""What `kezek update` tells the clerk, in their language (kk, ru or en, from the catalogs).

The ingest finds problems and notices with a catalog key and its values (ingest/problems.py);
here they are written in the clerk's language: the column named by the file's own header, the
rows as ranges, an unknown value with the labels accepted in that language. A long list is also
written as a CSV report beside the update log, without the values that look personal.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from i18n import LANGUAGES, N_, t, tn
from ingest.problems import SHOWN, BadInput, Notice, Problem, ranges_text
from ingest.vocabulary import VALUE_DOMAIN, header_key, labels_of, value_labels

REPORT = "problems.csv"  # beside update.log in the home folder
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")  # POSIX: the first one set wins

# The catalog text of each problem and notice key the ingest, the pipeline and the publication
# give (ingest/*.py, kezek/pipeline.py, engine/publication.py); one without is told in English.
PROBLEMS = {
    "born_after_registration": N_("problem.born_after_registration"),
    "duplicate": N_("problem.duplicate"),
    "empty_file": N_("problem.empty_file"),
    "empty_header": N_("problem.empty_header"),
    "empty_sheet": N_("problem.empty_sheet"),
    "event_needs": N_("problem.event_needs"),
    "git_missing": N_("problem.git_missing"),
    "git_no_commit": N_("problem.git_no_commit"),
    "git_unreadable": N_("problem.git_unreadable"),
    "header_repeated": N_("problem.header_repeated"),
    "header_too_long": N_("problem.header_too_long"),
    "header_twice": N_("problem.header_twice"),
    "id_is_personal": N_("problem.id_is_personal"),
    "mapping_expression": N_("problem.mapping_expression"),
    "mapping_key_missing": N_("problem.mapping_key_missing"),
    "mapping_key_unknown": N_("problem.mapping_key_unknown"),
    "mapping_not_applied": N_("problem.mapping_not_applied"),
    "mapping_not_utf8": N_("problem.mapping_not_utf8"),
    "mapping_personal_header": N_("problem.mapping_personal_header"),
    "mapping_syntax": N_("problem.mapping_syntax"),
    "mapping_unreadable": N_("problem.mapping_unreadable"),
    "mapping_value_invalid": N_("problem.mapping_value_invalid"),
    "metadata_is_personal": N_("problem.metadata_is_personal"),
    "missing_column": N_("problem.missing_column"),
    "missing_name_column": N_("problem.missing_name_column"),
    "missing_table": N_("problem.missing_table"),
    "mixed_encodings": N_("problem.mixed_encodings"),
    "name_required": N_("problem.name_required"),
    "no_such_dataset": N_("problem.no_such_dataset"),
    "not_a_number": N_("problem.not_a_number"),
    "not_json": N_("problem.not_json"),
    "not_json_object": N_("problem.not_json_object"),
    "not_text": N_("problem.not_text"),
    "number_is_iin": N_("problem.number_is_iin"),
    "numbers_alike": N_("problem.numbers_alike"),
    "out_of_bounds": N_("problem.out_of_bounds"),
    "path_not_utf8": N_("problem.path_not_utf8"),
    "place_is_personal": N_("problem.place_is_personal"),
    "row_fields": N_("problem.row_fields"),
    "row_too_long": N_("problem.row_too_long"),
    "sheet_missing": N_("problem.sheet_missing"),
    "snapshot_twice": N_("problem.snapshot_twice"),
    "table_twice": N_("problem.table_twice"),
    "timezone_differs": N_("problem.timezone_differs"),
    "timezone_differs_default": N_("problem.timezone_differs_default"),
    "timezone_unknown": N_("problem.timezone_unknown"),
    "too_many_cells": N_("problem.too_many_cells"),
    "too_many_columns": N_("problem.too_many_columns"),
    "too_many_fields": N_("problem.too_many_fields"),
    "too_small": N_("problem.too_small"),
    "unknown_encoding": N_("problem.unknown_encoding"),
    "unknown_group": N_("problem.unknown_group"),
    "unknown_language": N_("problem.unknown_language"),
    "unknown_languages": N_("problem.unknown_languages"),
    "unknown_preset": N_("problem.unknown_preset"),
    "unknown_reference": N_("problem.unknown_reference"),
    "unknown_ruleset": N_("problem.unknown_ruleset"),
    "unknown_value": N_("problem.unknown_value"),
    "unreadable_bool": N_("problem.unreadable_bool"),
    "unreadable_date": N_("problem.unreadable_date"),
    "unreadable_date_withheld": N_("problem.unreadable_date_withheld"),
    "unreadable_datetime": N_("problem.unreadable_datetime"),
    "unreadable_float": N_("problem.unreadable_float"),
    "unreadable_int": N_("problem.unreadable_int"),
    "value_required": N_("problem.value_required"),
    "zip_invalid": N_("problem.zip_invalid"),
    "zip_members": N_("problem.zip_members"),
    "zip_ratio": N_("problem.zip_ratio"),
    "zip_too_large": N_("problem.zip_too_large"),
    "zip_unsafe_path": N_("problem.zip_unsafe_path"),
}
NOTICES = {
    "changelog_not_written": N_("notice.changelog_not_written"),
    "dataset_json_lacks": N_("notice.dataset_json_lacks"),
    "header_row": N_("notice.header_row"),
    "headers_read": N_("notice.headers_read"),
    "ignored_format": N_("notice.ignored_format"),
    "ignored_name": N_("notice.ignored_name"),
    "no_dataset_json": N_("notice.no_dataset_json"),
    "numbers_share_a_key": N_("notice.numbers_share_a_key"),
    "snapshots_not_pruned": N_("notice.snapshots_not_pruned"),
    "unknown_references": N_("notice.unknown_references"),
    "validators_not_kept": N_("notice.validators_not_kept"),
    "versions_not_written": N_("notice.versions_not_written"),
}


def language(given: str | None, environ: dict | None = None) -> str:
    """`--lang`, else the locale (LC_ALL, LC_MESSAGES, LANG), else English.

    >>> language(None, {"LANG": "ru_RU.UTF-8"}), language(None, {"LC_ALL": "kk_KZ", "LANG": "ru_RU"})
    ('ru', 'kk')
    >>> language("kk", {"LANG": "ru_RU.UTF-8"}), language(None, {"LANG": "C.UTF-8"}), language(None, {})
    ('kk', 'en', 'en')
    """
    if given:
        return given
    environ = os.environ if environ is None else environ
    locale = next((environ[v] for v in LOCALE_VARIABLES if environ.get(v)), "")
    code = locale.split(".")[0].split("_")[0].lower()
    return {"kz": "kk"}.get(code, code) if code in (*LANGUAGES, "kz") else "en"


def column_name(problem: Problem) -> str:
    """The column as the clerk knows it: the file's header, the format's name beside it if other."""
    if problem.header and header_key(problem.header) != header_key(problem.column or ""):
        return f"«{problem.header}» ({problem.column})"
    return problem.column or ""


def where(problem: Problem, lang: str) -> str:
    """`file, 44 rows (12–55), column «Льгота» (privilege)` in the clerk's language."""
    parts = [problem.file]
    if problem.count > 1:
        parts.append(tn("clerk.rows", problem.count, lang, ranges=ranges_text(problem.rows, problem.count)))
    elif problem.row is not None:
        parts.append(t("clerk.row", lang, row=problem.row))
    if problem.column:
        parts.append(t("clerk.column", lang, column=column_name(problem)))
    return ", ".join(parts)


def accepted(column: str, codes: str, lang: str) -> str:
    """The values an enumerated column accepts, as the clerk may write them: in Russian or
    Kazakh the labels of that language (the dashboard's own, else vocabulary.toml's), then the
    codes; in English the codes."""
    codes_list = [c.strip() for c in codes.split(",")]
    if lang == "en":
        return f"{codes} {t('clerk.or_labels', lang)}"
    domain = VALUE_DOMAIN.get(column)
    labels = []
    for code in codes_list:
        own = t(f"{domain}.{code}", lang) if domain in ("status", "privilege", "ownership") else None
        if own and domain and value_labels(domain).get(header_key(own)) == code:
            labels.append(own)
        else:  # a label the vocabulary accepts, of the clerk's language where it has one
            written = labels_of(domain, code) if domain else []
            labels.append(min(written, key=lambda x: _kazakh(x) != (lang == "kk"), default=code))
    return f"{', '.join(labels)} {t('clerk.or_codes', lang, codes=codes)}"


KAZAKH_LETTERS = set("әғқңөұүһі")


def _kazakh(label: str) -> bool:
    return bool(KAZAKH_LETTERS & set(label.lower()))


def _values(problem: Problem, lang: str, withheld: bool = False) -> dict:
    values = dict(problem.params)
    if withheld:
        values = {k: "***" for k in values}
    if problem.key == "unknown_value":
        values["accepted"] = accepted(problem.column or "", problem.params.get("other", ""), lang)
    if problem.key == "duplicate" and "other" in values and not withheld:
        file, _, row = values["other"].rpartition(", ")
        values["other"] = f"{file} {t('clerk.row', lang, row=row)}"
    if problem.key == "header_twice":
        values["column"], values["other"] = problem.params["column"], f"«{problem.params['other']}»"
    return values


def what(problem: Problem, lang: str, withheld: bool = False) -> str:
    """The problem itself, in the clerk's language (English where the ingest gave no key)."""
    key = PROBLEMS.get(problem.key)
    if key is None:
        return "***" if withheld else problem.message
    return t(key, lang, **_values(problem, lang, withheld))


def problem_line(problem: Problem, lang: str) -> str:
    return f"{where(problem, lang)}: {what(problem, lang)}"


def notice_text(notice: Notice, lang: str) -> str:
    """The notice in the clerk's language; a count `n` picks the form of its text (and the
    count of values named, the form of its own)."""
    key = NOTICES.get(notice.key)
    if key is None:
        return notice.message
    values = notice.params
    if notice.key == "unknown_references":
        values["values"] = tn("clerk.column_values", values.pop("count"), lang, column=values["column"])
    return tn(key, values.pop("n"), lang, **values) if "n" in values else t(key, lang, **values)


def notice_line(notice: Notice, lang: str) -> str:
    return f"{notice.file}: {notice_text(notice, lang)}" if notice.file else notice_text(notice, lang)


def notice_lines(notices: list[Notice], lang: str) -> list[str]:
    """Each notice once (a series repeats its ignored files in every snapshot)."""
    return list(dict.fromkeys(notice_line(n, lang) for n in notices))


WARNINGS = ("no_dataset_json", "dataset_json_lacks")  # notices that are warnings: the pages lack something


def warnings(notices: list[Notice]) -> list[Notice]:
    return list(dict.fromkeys(n for n in notices if n.key in WARNINGS))


def warning(text: str, lang: str) -> str:
    return t("clerk.warning", lang, text=text)


def report_lines(report, lang: str) -> list[str]:
    """What a published update did: the snapshot, rows per table, findings, personal data dropped
    or withheld, and the time each stage took."""
    if report.unchanged:
        return [t("clerk.unchanged_local", lang) if report.local else t("clerk.unchanged", lang)]
    out = [t("clerk.published", lang, snapshot=report.snapshot, as_of=report.as_of)]
    if report.series[0]:
        read = report.series[0] - report.series[1]
        carried = tn("clerk.series_carried", report.series[1], lang) if report.series[1] else ""
        out.append("  " + tn("clerk.series", report.series[0], lang, read=read, carried=carried))
    out += [f"  {tn('clerk.table_rows', count, lang, table=name)}" for name, count in report.rows.items()]
    found = {k: v for k, v in report.findings.items() if v}
    out.append("  " + tn("clerk.findings", sum(found.values()), lang)
               + (f" ({', '.join(f'{k} {v}' for k, v in found.items())})" if found else ""))
    out += ["  " + t("clerk.dropped", lang, file=file, columns=", ".join(columns)) for file, columns in report.dropped.items()]
    out += ["  " + t("clerk.withheld", lang, file=file, counts=", ".join(f"{column} {n}" for column, n in counts.items()))
            for file, counts in report.withheld.items()]
    out.append("  " + t("clerk.time", lang, timings=", ".join(f"{k} {v:.1f}s" for k, v in report.timings.items())))
    return out


def check_lines(report, lang: str) -> list[str]:
    """`--check` found no problem: what an update would publish, table by table."""
    return [t("clerk.check_passed", lang),
            *(f"  {tn('clerk.table_rows', n, lang, table=name)}" for name, n in report.rows.items() if n)]


def bad_input_lines(exc: BadInput, lang: str, checked: bool, report: Path | None) -> list[str]:
    """The problems of a refused input: the notices, the first SHOWN problems, a count of the
    rest, and where the full list was written."""
    lines = [tn("clerk.check_refused", exc.total, lang) if checked else tn("clerk.bad_input", exc.total, lang)]
    warned = warnings(exc.notices)
    lines += [f"  {line}" for line in notice_lines([n for n in exc.notices if n not in warned], lang)]
    lines += [f"  {warning(line, lang)}" for line in notice_lines(warned, lang)]
    lines += [problem_line(p, lang) for p in exc.problems[:SHOWN]]
    if exc.total > SHOWN:
        lines.append(tn("clerk.more", exc.total - SHOWN, lang))
    if report is not None:
        lines.append(t("clerk.report_written", lang, path=report))
    return lines


def write_report(exc: BadInput, lang: str, home: Path) -> Path | None:
    """Every problem kept, one line each, as CSV beside update.log (HOME/problems.csv): with a
    BOM and `;` in Russian and Kazakh, as their spreadsheets open it. A value that looks
    personal (or a birth date) is left out, and so is any message quoting it. None when it
    cannot be written (the problems are told all the same)."""
    path = home / REPORT
    header = [t(k, lang) for k in (N_("clerk.csv_file"), N_("clerk.csv_rows"), N_("clerk.csv_count"),
                                   N_("clerk.csv_column"), N_("clerk.csv_problem"), N_("clerk.csv_value"))]
    try:
        home.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            out = csv.writer(fh, delimiter="," if lang == "en" else ";")
            out.writerow(header)
            for p in exc.problems:
                value = "" if p.personal else str(p.params.get("value", ""))
                out.writerow([p.file, ranges_text(p.rows, p.count, shown=None), p.count, column_name(p),
                              what(p, lang, withheld=p.personal), value])
            if exc.total > len(exc.problems):
                out.writerow([tn("clerk.more", exc.total - len(exc.problems), lang), "", "", "", "", ""])
    except OSError:
        return None
    return path


def clear_report(home: Path) -> None:
    """A run without problems leaves no report of an earlier one's."""
    try:
        (home / REPORT).unlink(missing_ok=True)
    except OSError:
        pass
