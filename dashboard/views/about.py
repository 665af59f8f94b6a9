"""About the data and the method: where the data come from (with checksums), when they
were published, every rule of the catalogue (engine/rules.toml: Q, E and A, with their
sources and the findings of the audit that test each), the licence, and how to reuse
everything (downloads, `kezek export`, the JSON API)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pandas as pd
import streamlit as st
from babel.dates import format_date

from dashboard import context, labels, queries
from engine import rules as catalogue
from engine.audit import FINDING_TYPES
from i18n import N_, date, number, t, tn

# The rules by family, as the methodology shows them (engine/rules.toml holds each rule once).
FAMILIES = {"Q": N_("about.rules_q"), "E": N_("about.rules_e"), "A": N_("about.rules_a")}
# The units a parameter is stated in (engine/rulesets/parameters.toml), in words.
UNIT = {"annulment": N_("unit.annulment"), "application": N_("unit.application"),
        "calendar_day": N_("unit.calendar_day"), "hour_of_day": N_("unit.hour_of_day"),
        "month_day": N_("unit.month_day"), "policy": N_("unit.policy"), "privilege": N_("unit.privilege"),
        "working_day": N_("unit.working_day"), "year": N_("unit.year")}
# The values a parameter states by name (parameters.toml's `choices`, and `none` where a ruleset
# has no such rule), in words: the policy after a missed window in the portals' own terms.
VALUE = {"first": N_("ruleset_value.first"), "general": N_("ruleset_value.general"),
         "inactive": N_("ruleset_value.inactive"), "none": N_("ruleset_value.none"),
         "stay_in_queue": N_("ruleset_value.stay_in_queue"), "stop_list": N_("ruleset_value.stop_list")}

API = """GET /api/v1/applications/{number}?as_of=YYYY-MM-DD
GET /api/v1/applications/{number}/history
GET /api/v1/applications/{number}/forecast
GET /api/v1/kindergartens
GET /api/v1/vacancies
GET /api/v1/stats/…
GET /api/v1/findings?type=…&district=…&month=YYYY-MM
GET /api/v1/findings/{finding_id}
GET /api/v1/openapi.json
GET /healthz"""

EXPORT = "kezek export --out DIR --format csv,parquet"


def publication(meta: dict[str, str], lang: str) -> None:
    st.subheader(t("about.publication", lang))
    rows = [
        (t("about.data_title", lang), meta.get("title") or "—"),
        (t("about.publisher", lang), meta.get("publisher") or "—"),
        (t("about.region", lang), meta.get("region") or "—"),
        (t("about.as_of", lang), date(meta["as_of"], lang) if meta.get("as_of") else "—"),
        (t("about.published", lang), context.published(meta, lang)),
        (t("about.snapshot", lang), meta.get("snapshot") or "—"),
        (t("about.ruleset", lang), ruleset_name(meta, lang)),
        (t("about.license", lang), meta.get("license") or "—"),
    ]
    st.markdown("\n".join(f"- **{label}:** {context.md(value)}" for label, value in rows))


def applied(meta: dict[str, str]) -> pd.DataFrame:
    """The rules this publication applied on its day (the snapshot's `audit_rules`), read once
    per snapshot: the page's three parts that show them each get their own copy."""
    return context.cached(queries.rules_applied, dt.date.fromisoformat(meta["as_of"])) if meta.get("as_of") \
        else pd.DataFrame(columns=["region", "ruleset", "parameter", "value", "unit", "valid_from", "source"])


def value_words(value: object, unit: str, lang: str) -> str:
    """A parameter's value as the page's language says it: a named value in words, a day of
    the year (MM-DD) as "1 October", a number as it is."""
    if value is None or pd.isna(value):  # `none`: the audit's table holds no value
        return t(VALUE["none"], lang)
    text = str(value)
    if unit == "month_day" and re.fullmatch(r"\d\d-\d\d", text):
        return format_date(dt.date(2000, int(text[:2]), int(text[3:])), "d MMMM", locale=lang)
    return t(VALUE[text], lang) if text in VALUE else text


def ruleset_name(meta: dict[str, str], lang: str) -> str:
    names = ", ".join(dict.fromkeys(applied(meta)["ruleset"]))
    if not names:
        return meta.get("ruleset") or t("about.ruleset_default", lang)
    return names if meta.get("ruleset") else t("about.ruleset_selected", lang, ruleset=names)


def parameters(meta: dict[str, str], lang: str) -> None:
    """Every dated parameter of the rules the publication applied on its day, per region,
    with its unit, the day it took effect and the source it is taken from."""
    from engine import ruleset

    table = applied(meta)
    if table.empty:
        return
    specs, cited, known = ruleset.parameter_specs(), ruleset.source_catalog(), ruleset.rulesets()
    table.insert(3, "name", [specs[p].title[lang] if p in specs else p for p in table["parameter"]])
    table.insert(4, "rules", [", ".join(specs[p].rules) if p in specs else "" for p in table["parameter"]])
    table["source"] = [cited[s].title[lang] if s in cited else s for s in table["source"]]
    table["value"] = [value_words(v, u, lang) for v, u in zip(table["value"], table["unit"])]
    table["unit"] = [t(UNIT[u], lang) if u in UNIT else u for u in table["unit"]]
    day = dt.date.fromisoformat(meta["as_of"])
    # the words each value is taken from, in the page's language, where the ruleset is one of
    # Kezek's (a publisher's own file is read at its publication only)
    table["note"] = [known[r].value(p, day).note[lang] if r in known and p in known[r].parameters else ""
                     for r, p in zip(table["ruleset"], table["parameter"])]
    table["valid_from"] = [d.isoformat() if d.year > 1900 else "—" for d in table["valid_from"]]
    names = list(dict.fromkeys(table["ruleset"]))
    titles = "; ".join(known[n].title[lang] if n in known else n for n in names)
    with st.expander(t("about.parameters", lang, ruleset=", ".join(names)), icon=":material/tune:"):
        st.markdown(t("about.parameters_intro", lang, title=context.md(titles), day=date(day, lang)))
        st.dataframe(table.drop(columns=["region"] if table["region"].nunique() == 1 else []),
                     hide_index=True, column_config={
            "region": t("column.region", lang),
            "ruleset": t("about.ruleset", lang),
            "parameter": t("column.parameter", lang),
            "name": t("column.name", lang),
            "rules": t("column.rules", lang),
            "value": t("column.value", lang),
            "unit": t("column.unit", lang),
            "valid_from": t("column.valid_from", lang),
            "source": t("column.source", lang),
            "note": t("column.note", lang),
        })
        context.download(table, f"ruleset_{'_'.join(names)}", lang)


def forecasts(lang: str) -> None:
    """The forecast's method and its backtest on this publication's own history."""
    from engine.forecast import MODEL

    st.subheader(t("about.forecast_title", lang))
    st.markdown(t("about.forecast_method", lang, horizon=tn("about.forecast_horizon", MODEL.years, lang),
                  paths=number(MODEL.paths, lang), recent=MODEL.recent))
    table = context.query(queries.forecast_backtest)
    judged = int(table["judged"].sum()) if not table.empty else 0
    if not judged:
        st.info(t("about.forecast_untested", lang))
        return
    st.markdown(t("about.forecast_coverage", lang, inside=number(int(table["inside"].sum()), lang),
                  judged=number(judged, lang), share=f"{100 * table['inside'].sum() / judged:.0f}"))
    shown = table.assign(cutoff=table["cutoff"].map(lambda d: date(d, lang)),
                         coverage=(100 * table["coverage"]).round(0))
    st.dataframe(shown, hide_index=True, column_config={
        "horizon_weeks": st.column_config.NumberColumn(t("column.horizon_weeks", lang), format="%d"),
        "cutoff": t("column.cutoff", lang),
        "forecasts": st.column_config.NumberColumn(t("column.forecasts", lang), format="%d"),
        "judged": st.column_config.NumberColumn(t("column.judged", lang), format="%d"),
        "inside": st.column_config.NumberColumn(t("column.inside", lang), format="%d"),
        "early": st.column_config.NumberColumn(t("column.early", lang), format="%d"),
        "late": st.column_config.NumberColumn(t("column.late", lang), format="%d"),
        "left_queue": st.column_config.NumberColumn(t("column.left_queue", lang), format="%d"),
        "coverage": st.column_config.NumberColumn(t("column.coverage", lang), format="%d %%"),
    })
    st.caption(t("about.forecast_judged", lang))
    context.download(table, "forecast_backtest", lang)


def public_name(source: str) -> str:
    """A source of the update as the page shows it: an address or a demo preset as given (the
    update keeps no password or key of it), a file or folder of the server by its own name
    only: its path tells a reader nothing and a stranger how the server is laid out."""
    if "://" in source or source.startswith("demo:"):
        return source
    return re.split(r"[/\\]", source.rstrip("/\\"))[-1] or source


def sources(meta: dict[str, str], lang: str) -> None:
    st.subheader(t("about.sources", lang))
    try:
        named = json.loads(meta.get("sources") or "[]")
    except ValueError:
        named = []
    if named:
        st.markdown(t("about.sources_given", lang) + "\n" + "\n".join(f"- `{public_name(s)}`" for s in named))
    files = context.query(queries.sources)
    st.markdown(t("about.sources_intro", lang))
    st.dataframe(files.assign(sha256=files["sha256"].fillna("—"), dropped_columns=files["dropped_columns"].fillna("")),
                 hide_index=True, column_config={
                     "file": t("column.file", lang),
                     "table_name": t("column.table", lang),
                     "rows": st.column_config.NumberColumn(t("column.rows", lang), format="%d"),
                     "sha256": t("column.sha256", lang),
                     "dropped_columns": t("column.dropped_columns", lang),
                 })
    context.download(files, "sources", lang)
    tables = context.query(queries.table_rows)
    st.markdown(t("about.tables", lang) + "\n" + "\n".join(
        f"- `{row.table_name}`: {number(row.rows, lang)}" for row in tables.itertuples()))


def citations(rule: catalogue.Rule, lang: str) -> str:
    """The sources of a rule in the page's language, as Markdown: a public page linked, a seed
    document with its key (its copy is docs/seeds/KEY.txt), a file of docs/ by its name, and
    the words quoted from a source as it writes them."""
    from engine import ruleset

    def where(key: str) -> str:
        address = ruleset.source_catalog()[key].address
        return f" (`{key}`)" if catalogue.SEED.match(key) else f" (`{address.split('#')[0]}`)" if address else ""

    return "; ".join(
        (f"[{context.md(title)}]({key})" if key.startswith("https://") else context.md(title) + where(key))
        + (f": {context.md(quote)}" if quote else "")
        for key, title, quote in rule.cited(lang))


def findings(types: list[str], lang: str) -> str:
    """Kinds of finding of the audit by their names (queue-rules.md, F)."""
    return ", ".join(labels.finding_type(f, lang) for f in types)


def rules(meta: dict[str, str], lang: str) -> None:
    st.subheader(t("about.rules", lang))
    st.markdown(t("about.rules_intro", lang))
    ratio = applied(meta).query("parameter in ('ratio_first', 'ratio_general')").drop_duplicates("parameter")
    given = dict(zip(ratio["parameter"], ratio["value"]))
    first = tn("interleaving.first", int(given["ratio_first"]), lang) if "ratio_first" in given else "—"
    general = given.get("ratio_general", "—")
    for family, heading in FAMILIES.items():
        st.markdown(f"##### {t(heading, lang)}")
        for rule in (r for r in catalogue.RULES.values() if r.id.startswith(family)):
            text = catalogue.text(rule.id, lang, first=first, general=general)
            tested = (f"  \n*{t('about.findings', lang)}: {context.md(findings(rule.findings, lang))}*"
                      if rule.findings else "")
            st.markdown(f"**{rule.id}. {context.md(rule.title[lang])}.** {context.md(text)}  \n"
                        f"*{t('about.source', lang)}: {citations(rule, lang)}*{tested}")
    # the audit's facts that no rule states: records that contradict themselves, a series' changes
    unruled = [f for f in FINDING_TYPES if not any(f in r.findings for r in catalogue.RULES.values())]
    st.markdown(t("about.findings_no_rule", lang, findings=context.md(findings(unruled, lang))))
    st.caption(t("about.rules_engine", lang))
    parameters(meta, lang)


def reuse(meta: dict[str, str], lang: str) -> None:
    st.subheader(t("about.reuse", lang))
    st.markdown(t("about.reuse_license", lang, license=context.md(meta.get("license") or "—"),
                  publisher=context.md(meta.get("publisher") or "—")))
    st.markdown(t("about.reuse_downloads", lang))
    st.markdown(t("about.reuse_export", lang))
    st.code(EXPORT, language="bash", wrap_lines=True)
    st.markdown(t("about.reuse_api", lang))
    st.code(API, language="text", wrap_lines=True)
    st.markdown(t("about.privacy", lang))


def main() -> None:
    lang = context.language()
    meta = context.header(t("about.title", lang), t("about.intro", lang), lang)
    publication(meta, lang)
    rules(meta, lang)
    forecasts(lang)
    sources(meta, lang)
    reuse(meta, lang)


if __name__ == "__main__":  # Streamlit runs a page as __main__; importing it draws nothing
    main()
