"""The audit, for journalists: every offer or referral that broke the queue rules, by type,
kindergarten, district and month; each finding opens to its evidence and the rule it
tests; the referrals out of queue order by design (A9) shown apart, never as findings.

The findings are computed by `kezek update` (engine/audit) and read here as published.
Filters and the open finding live in the URL: ?type=…&region=…&district=…&month=YYYY-MM&finding=ID
"""

from __future__ import annotations

import json

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import charts, context, labels, queries
from dashboard.components import evidence
from i18n import N_, date, number, t
from engine.audit import FINDING_TYPES, LEGITIMATE_CHANNELS
from engine import rules
from engine.audit import report

TYPE, REGION, DISTRICT, MONTH, FINDING = "audit:type", "audit:region", "audit:district", "audit:month", "audit:finding"
LEGITIMATE_SHOWN = 1000  # rows of the legitimate list drawn (a country has hundreds of thousands)

type_label, channel_label = labels.finding_type, labels.channel


def when_column(lang: str):
    return st.column_config.DatetimeColumn(t("column.at", lang),
                                           format="YYYY-MM-DD HH:mm" if lang == "en" else "DD.MM.YYYY HH:mm")


def rule_text(rule: str, lang: str) -> str:
    """The text of the rule a finding tests (engine/rules.toml); "—": records that contradict
    themselves, or a fact of a series that no rule states."""
    return rules.text(rule, lang) if rule in rules.RULES else t("audit.rule_none", lang)


def filters(lang: str) -> dict[str, str]:
    everything = t("filter.all", lang)
    found = context.query(report.choices)
    active = any(context.url_choice(k) or st.session_state.get(f"audit:{k}") for k in ("type", "region", "district", "month"))
    with st.expander(t("audit.filters", lang), expanded=bool(active), icon=":material/filter_list:"):
        cells = context.grid(2)
        kind = context.select(next(cells), t("audit.type", lang), FINDING_TYPES, key=TYPE, param="type",
                              everything=everything, format_func=lambda v: type_label(v, lang))
        region = ""
        if len(found["region"]) > 1:
            region = context.select(next(cells), t("filter.region", lang), found["region"], key=REGION,
                                    param="region", everything=everything)
            found = context.query(report.choices, region)
        district = context.select(next(cells), t("filter.district", lang), found["district"], key=DISTRICT,
                                  param="district", everything=everything)
        month = context.select(next(cells), t("audit.month", lang), found["month"], key=MONTH, param="month",
                               everything=everything)
    return {"type": kind, "region": region, "district": district, "month": month}


def kindergarten_name(row: dict, lang: str) -> str:
    name = row.get("kindergarten_name_kk") if lang == "kk" else row.get("kindergarten_name_ru")
    return name or row.get("kindergarten_name_ru") or row.get("kindergarten_id") or ""


def table_of(findings: list[dict], lang: str) -> pd.DataFrame:
    """The findings as the page lists them and the CSV gives them (codes kept beside words)."""
    return pd.DataFrame([{
        "finding_id": f["finding_id"],
        "at": f["at"],
        "type": f["type"],
        "finding": type_label(f["type"], lang),
        "rule": f["rule"],
        "application_number": f["application_number"] or "",
        "bulletin_id": f["bulletin_id"] or "",
        "kindergarten_id": f["kindergarten_id"] or "",
        "kindergarten": kindergarten_name(f, lang),
        "region": f["region"] or "",
        "district": f["district"] or "",
        "explanation": f["explanation"][lang],
        "evidence": json.dumps(f["evidence"], ensure_ascii=False, sort_keys=True),
    } for f in findings], columns=["finding_id", "at", "type", "finding", "rule", "application_number", "bulletin_id",
                                   "kindergarten_id", "kindergarten", "region", "district", "explanation", "evidence"])


def by_type(chosen: dict[str, str], counts: dict[str, int], lang: str) -> None:
    st.subheader(t("audit.by_type", lang))
    shown = [code for code in FINDING_TYPES if not chosen["type"] or code == chosen["type"]]
    per_type = pd.DataFrame({"finding": [type_label(c, lang) for c in shown],
                             "findings": [counts.get(c, 0) for c in shown]})
    fig = px.bar(per_type, y="finding", x="findings", orientation="h",
                 text=per_type["findings"].map(lambda n: number(n, lang)),
                 labels={"finding": t("column.finding", lang), "findings": t("column.findings", lang)})
    fig.update_yaxes(categoryorder="array", categoryarray=per_type["finding"].tolist()[::-1], title=None)
    charts.count_axis(fig, per_type["findings"], axis="x")
    context.style_figure(fig, lang, height=max(200, 60 + 28 * len(per_type)))
    context.chart(fig, alt=t("audit.by_type_alt", lang))
    st.dataframe(per_type, hide_index=True, column_config={
        "finding": t("column.finding", lang),
        "findings": st.column_config.NumberColumn(t("column.findings", lang), format="%d"),
    })


def by_place_and_month(chosen: dict[str, str], lang: str) -> None:
    months = pd.DataFrame(context.query(report.per_month, **chosen), columns=["month", "findings"])
    districts = pd.DataFrame(context.query(report.counts, "district", **chosen), columns=["district", "findings"])
    kindergartens = pd.DataFrame(context.query(report.counts, "kindergarten_id", **chosen),
                                 columns=["kindergarten_id", "findings"])
    st.subheader(t("audit.by_month", lang))
    fig = px.bar(months, x="month", y="findings", text=months["findings"].map(lambda n: number(n, lang)),
                 labels={"month": t("audit.month", lang), "findings": t("column.findings", lang)})
    fig.update_xaxes(type="category")  # a tick per month, those without findings too
    charts.count_axis(fig, months["findings"])
    context.style_figure(fig, lang, height=260)
    context.chart(fig, alt=t("audit.by_month_alt", lang))
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('audit.by_district', lang)}**")
        st.dataframe(districts.assign(district=districts["district"].fillna(t("audit.no_district", lang)))
                     .sort_values(["findings", "district"], ascending=[False, True]),
                     hide_index=True, column_config={
                         "district": t("column.district", lang),
                         "findings": st.column_config.NumberColumn(t("column.findings", lang), format="%d")})
    with right:
        st.markdown(f"**{t('audit.by_kindergarten', lang)}**")
        named = kindergartens.dropna(subset=["kindergarten_id"])
        names = context.query(queries.kindergarten_names, lang)
        st.dataframe(named.assign(kindergarten=named["kindergarten_id"].map(lambda k: names.get(k, k)))
                     .sort_values(["findings", "kindergarten_id"], ascending=[False, True])
                     [["kindergarten", "kindergarten_id", "findings"]],
                     hide_index=True, column_config={
                         "kindergarten": t("column.kindergarten", lang),
                         "kindergarten_id": t("column.kindergarten_id", lang),
                         "findings": st.column_config.NumberColumn(t("column.findings", lang), format="%d")})


def finding_list(chosen: dict[str, str], lang: str) -> list[dict]:
    st.subheader(t("audit.list", lang))
    total, findings = context.query(report.located, **chosen)
    if not total:
        st.info(t("audit.no_findings", lang))
        return []
    table = table_of(findings, lang)
    st.dataframe(table.drop(columns=["type", "evidence"]), hide_index=True, column_config={
        "finding_id": st.column_config.NumberColumn("№", format="%d"),
        "at": when_column(lang),
        "finding": t("column.finding", lang),
        "rule": t("column.rule", lang),
        "application_number": t("column.application_number", lang),
        "bulletin_id": t("column.bulletin", lang),
        "kindergarten_id": None,
        "kindergarten": t("column.kindergarten", lang),
        "region": None,
        "district": t("column.district", lang),
        "explanation": t("column.explanation", lang),
    })
    context.download(table, "findings", lang, filters=chosen.items())
    return findings


def one_finding(findings: list[dict], lang: str) -> None:
    """The finding chosen in the list (kept in the URL as ?finding=ID): its sentence, the
    rule it tests in plain words, and the evidence."""
    by_id = {str(f["finding_id"]): f for f in findings}
    chosen = context.select(st, t("audit.open", lang), list(by_id), key=FINDING, param="finding",
                            everything=t("audit.open_none", lang),
                            format_func=lambda k: f"№{k} · {type_label(by_id[k]['type'], lang)} · "
                                                  f"{by_id[k]['application_number'] or by_id[k]['bulletin_id'] or ''}")
    if not chosen:
        return
    f = by_id[chosen]
    with st.container(border=True):
        st.markdown(f"**{context.md(type_label(f['type'], lang))}** · {date(f['at'], lang, with_time=True)}")
        st.write(f["explanation"][lang])
        st.markdown(f"**{t('audit.rule', lang, rule=f['rule'])}** {rule_text(f['rule'], lang)}")
        where = [(t("column.kindergarten", lang), kindergarten_name(f, lang)),
                 (t("column.district", lang), f["district"]), (t("column.region", lang), f["region"])]
        st.markdown("\n".join(f"- {label}: {context.md(value)}" for label, value in where if value))
        st.markdown(f"**{t('audit.evidence', lang)}**")
        st.dataframe(evidence.rows(f["evidence"], lang), hide_index=True, column_config={
            "item": t("column.item", lang), "value": t("column.value", lang)})
        if f["application_number"]:
            st.page_link("views/lookup.py", label=t("audit.lookup_link", lang, number=f["application_number"]),
                         query_params={"app": f["application_number"], "lang": lang}, icon=":material/search:")


def legitimate(where: dict[str, str], counts: dict[str, int], lang: str) -> None:
    st.subheader(t("audit.legitimate", lang))
    st.write(t("audit.legitimate_intro", lang))
    cells = st.columns(len(LEGITIMATE_CHANNELS))
    for cell, channel in zip(cells, LEGITIMATE_CHANNELS):
        cell.metric(channel_label(channel, lang), number(counts.get(channel, 0), lang))
    total = sum(counts.values())
    if not total:
        return
    rows = context.query(report.legitimate, limit=LEGITIMATE_SHOWN, **where)
    table = pd.DataFrame([{
        "at": r["at"], "channel": r["channel"], "route": channel_label(r["channel"], lang), "rule": r["rule"],
        "application_number": r["application_number"], "bulletin_id": r["bulletin_id"] or "",
        "kindergarten_id": r["kindergarten_id"] or "", "kindergarten": kindergarten_name(r, lang),
        "district": r["district"] or "",
    } for r in rows])
    if total > len(rows):
        st.caption(t("audit.legitimate_shown", lang, shown=number(len(rows), lang), total=number(total, lang)))
    st.dataframe(table.drop(columns=["channel", "kindergarten_id"]), hide_index=True, column_config={
        "at": when_column(lang),
        "route": t("column.channel", lang),
        "rule": t("column.rule", lang),
        "application_number": t("column.application_number", lang),
        "bulletin_id": t("column.bulletin", lang),
        "kindergarten": t("column.kindergarten", lang),
        "district": t("column.district", lang),
    })
    context.download(table.drop(columns=["route"]), "legitimate_out_of_order", lang,  # channel: in words there
                     filters=where.items())


def orders_compared(regions: list[str], lang: str) -> None:
    """Where no ruleset is known: each published queue against simple orders (facts)."""
    table = context.query(queries.order_comparison, tuple(regions))
    if table.empty:
        return
    st.subheader(t("audit.orders_title", lang))
    st.markdown(t("audit.orders_intro", lang, regions=context.md(", ".join(regions))))
    best = table.sort_values(["queue", "rank_correlation", "order_name"], ascending=[True, False, True],
                             na_position="last").drop_duplicates("queue")
    order, queues = best["order_name"].value_counts().sort_index().idxmax(), best["order_name"].value_counts().max()
    st.markdown(t("audit.orders_best", lang, order=labels.order(order, lang), queues=number(int(queues), lang),
                  total=number(best.shape[0], lang)))
    shown = table.assign(order_name=table["order_name"].map(lambda v: labels.order(v, lang)))
    st.dataframe(shown, hide_index=True, column_config={
        name: t(f"column.{name}", lang) for name in shown.columns})
    context.download(table, "order_comparison", lang)


def main() -> None:
    lang = context.language()
    meta = context.header(t("audit.title", lang), t("audit.intro", lang), lang)
    if meta.get("rules_unknown"):
        orders_compared(json.loads(meta["rules_unknown"]), lang)
    if not context.query(report.has_audit):
        st.info(t("audit.not_published", lang))
        return
    st.caption(t("audit.caution", lang))
    chosen = filters(lang)
    per_type = dict(context.query(report.counts, "type", **chosen))
    findings_total = sum(per_type.values())
    where = {k: chosen[k] for k in ("region", "district", "month")}  # what legitimate referrals have
    lawful = context.query(report.legitimate_counts, **where)
    left, right = st.columns(2)
    left.metric(t("audit.findings", lang), number(findings_total, lang))
    right.metric(t("audit.legitimate_total", lang), number(sum(lawful.values()), lang))
    by_type(chosen, per_type, lang)
    if findings_total:
        by_place_and_month(chosen, lang)
    findings = finding_list(chosen, lang)
    if findings:
        one_finding(findings, lang)
    legitimate(where, lawful, lang)


if __name__ == "__main__":  # Streamlit runs a page as __main__; importing it draws nothing
    main()
