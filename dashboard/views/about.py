"""About the data and the method: where the data come from (with checksums), when they
were published, the queue rules applied (Q1–Q5, with their sources), the licence, and how
to reuse everything (downloads, `kezek export`, the JSON API)."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import streamlit as st

from dashboard import context, queries
from i18n import N_, date, number, t, tn
from engine.numbering import DEFAULT_INTERLEAVING

# The queue rules the published numbers follow (queue-rules.md), each with where it comes
# from. The sources are citations and stay as written.
RULES = (
    ("Q1", N_("about.rule_q1"), "balabaqsha.sitcen.kz (2019): «очередь … в разрезе года рождения ребенка»; "
                                "Rules No. 254 of 19.06.2020"),
    ("Q2", N_("about.rule_q2"), "bilim.astana.kz/en/archives/49434: the queue moves only when a child is "
                                "enrolled; Kezek open-data format v1, “State of an application at an instant”"),
    ("Q3", N_("about.rule_q3"), f"{DEFAULT_INTERLEAVING.source}; akimat of Astana via Sputnik, 28.03.2017 "
                                "(privileged categories, order No. 58 of 25.02.2016)"),
    ("Q4", N_("about.rule_q4"), "Application card on the portal: «Номер очереди», "
                                "«Номер очереди по льготной категории» (0 without a privilege)"),
    ("Q5", N_("about.rule_q5"), "egov.kz instructions: «Номер очереди может изменяться в меньшую и большую "
                                "сторону»; bilim.astana.kz/en/archives/49453, 49457"),
)

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


def ruleset_in_force(meta: dict[str, str]):
    """(ruleset, named): the ruleset `dataset.json` named, else the one in force for the
    publication's region on its date (engine.ruleset); (None, False) if there is none."""
    from engine import ruleset

    try:
        if meta.get("ruleset"):
            return ruleset.get(meta["ruleset"]), True
        return ruleset.select(meta.get("region") or "", dt.date.fromisoformat(meta["as_of"])), False
    except (KeyError, ValueError):
        return None, False


def ruleset_name(meta: dict[str, str], lang: str) -> str:
    found, named = ruleset_in_force(meta)
    if found is None:
        return meta.get("ruleset") or t("about.ruleset_default", lang)
    return found.name if named else t("about.ruleset_selected", lang, ruleset=found.name)


def parameters(meta: dict[str, str], lang: str) -> None:
    """Every dated parameter of the ruleset in force on the publication's day, with its
    unit, the day it took effect and the source it is taken from."""
    from engine import ruleset

    found, _ = ruleset_in_force(meta)
    if found is None:
        return
    day = dt.date.fromisoformat(meta["as_of"])
    specs, cited = ruleset.parameter_specs(), ruleset.source_catalog()
    rows = []
    for name, spec in specs.items():
        value = found.value(name, day)
        rows.append({
            "parameter": name,
            "rules": ", ".join(spec.rules),
            "value": str(value.value),
            "unit": value.unit,
            "valid_from": value.start.isoformat(),
            "source": cited[value.source].title if value.source in cited else value.source,
            "source_id": value.source,
            "note": value.note,
        })
    table = pd.DataFrame(rows)
    with st.expander(t("about.parameters", lang, ruleset=found.name), icon=":material/tune:"):
        st.markdown(t("about.parameters_intro", lang, title=context.md(found.title), day=date(day, lang)))
        st.dataframe(table.drop(columns=["source_id"]), hide_index=True, column_config={
            "parameter": t("column.parameter", lang),
            "rules": t("column.rules", lang),
            "value": t("column.value", lang),
            "unit": t("column.unit", lang),
            "valid_from": t("column.valid_from", lang),
            "source": t("column.source", lang),
            "note": t("column.note", lang),
        })
        context.download(table, f"ruleset_{found.name}.csv", lang)


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
    context.download(table, "forecast_backtest.csv", lang)


def sources(meta: dict[str, str], lang: str) -> None:
    st.subheader(t("about.sources", lang))
    try:
        named = json.loads(meta.get("sources") or "[]")
    except ValueError:
        named = []
    if named:
        st.markdown(t("about.sources_given", lang) + "\n" + "\n".join(f"- `{s}`" for s in named))
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
    context.download(files, "sources.csv", lang)
    tables = context.query(queries.table_rows)
    st.markdown(t("about.tables", lang) + "\n" + "\n".join(
        f"- `{row.table_name}`: {number(row.rows, lang)}" for row in tables.itertuples()))


def rules(meta: dict[str, str], lang: str) -> None:
    st.subheader(t("about.rules", lang))
    st.markdown(t("about.rules_intro", lang))
    rule = DEFAULT_INTERLEAVING
    first = tn("interleaving.first", rule.first_per_cycle, lang)
    for rule_id, key, source in RULES:
        text = t(key, lang, first=first, general=rule.general_per_cycle)
        st.markdown(f"**{rule_id}.** {text}  \n*{t('about.source', lang)}: {context.md(source)}*")
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
