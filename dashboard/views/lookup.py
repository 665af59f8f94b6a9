"""Lookup: a parent types the application number and sees the child's place in the queue."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import context, labels, number_hint, queries
from dashboard.components import forecast_panel, history_panel, status_panel
from i18n import date, number, t, tn
from engine.application_number import MAX_LENGTH, is_well_formed
from engine.lookup import lookup

KEY = "app"  # widget key and URL parameter: ?app=УО.2018.000024.1


def place(doc: dict) -> str:
    """The queue's settlement, with its region when they differ."""
    region, locality = doc["region"], doc.get("locality") or doc["region"]
    return locality if locality == region else f"{locality}, {region}"


def show(doc: dict, lang: str) -> None:
    status = labels.status(doc["status"], lang)
    waiting = doc["status"] == "queued" and doc["queue_number"] is not None
    if waiting:  # only a child waiting for an offer is told its number as its answer
        st.metric(t("lookup.queue_number", lang), number(doc["queue_number"], lang))
        st.success(
            t(
                "lookup.position",
                lang,
                queue_number=number(doc["queue_number"], lang),
                segment_size=number(doc["segment_size"], lang),
                birth_year=doc["birth_year"],
                place=context.md(place(doc)),
            )
        )
        left, right = st.columns(2)
        privileged = doc["privileged_queue_number"]
        left.metric(
            t("lookup.privileged_queue_number", lang),
            number(privileged, lang) if privileged else "—",
            help=t("lookup.privileged_help", lang),
        )
        right.metric(t("lookup.segment_size", lang), number(doc["segment_size"], lang))
    elif doc.get("rules_unknown") and doc["status"] == "queued":  # waiting, but no number by rules Kezek does not know
        st.info(t("lookup.rules_unknown_number", lang, region=context.md(doc["region"])), icon=":material/help:")
    else:  # every other status in plain words: since when, where, until when, what to do
        status_panel.show(doc, lang)
    rows = [
        (t("lookup.application_number", lang), doc["application_number"]),
        (t("lookup.status", lang), status),
        (t("lookup.privilege", lang), labels.privilege(doc["privilege"], lang)),
        (t("lookup.registered_at", lang), date(doc["registered_at"], lang, with_time=True)),
        (t("lookup.queue", lang), t("lookup.queue_segment", lang, birth_year=doc["birth_year"],
                                     place=place(doc))),
    ]
    st.markdown("\n".join(f"- **{label}:** {context.md(value)}" for label, value in rows))
    if waiting:
        who_is_ahead(doc, lang)
    st.caption(t("lookup.as_of", lang, as_of=date(doc["as_of"], lang)) + " " + t("lookup.moves", lang))
    chosen(doc, lang)
    history_panel.show(doc, lang)
    forecast_panel.show(doc, lang)


def chosen(doc: dict, lang: str) -> None:
    """The kindergartens the application asked for (format 1.1), with the place in each one's
    own queue that the city published: said to be the city's, not Kezek's."""
    if not doc.get("choices"):
        return
    st.subheader(t("lookup.choices_title", lang))
    lines = []
    for c in doc["choices"]:
        names = (c["name_kk"], c["name_ru"]) if lang == "kk" else (c["name_ru"], c["name_kk"])
        name = context.md(next((n for n in names if n), c["kindergarten_id"]))
        if c["queue_number"] is None:
            lines.append(t("lookup.choice_no_place", lang, rank=c["rank"], kindergarten=name))
        else:
            lines.append(t("lookup.choice_place", lang, rank=c["rank"], kindergarten=name,
                           place=number(c["queue_number"], lang), as_of=date(c["as_of"], lang)))
    st.markdown("\n".join(f"- {line}" for line in lines))
    st.caption(t("lookup.choices_note", lang))


def who_is_ahead(doc: dict, lang: str) -> None:
    """How many of each privilege class stand ahead, and the rule that puts them there (Q3)."""
    counts = doc["ahead"]
    st.subheader(t("lookup.ahead_title", lang))
    if doc["queue_number"] == 1:
        st.markdown(t("lookup.ahead_none", lang))
    else:
        st.markdown(t("lookup.ahead", lang, extraordinary=number(counts["extraordinary"], lang),
                      first=number(counts["first"], lang), general=number(counts["none"], lang)))
    ratio = context.query(queries.q3_ratio, doc["region"], dt.date.fromisoformat(doc["as_of"]))
    if ratio:  # the ratio the numbers of the region followed that day (the ruleset in force)
        st.info(t("lookup.rule", lang, first=tn("interleaving.first", ratio[0], lang), general=ratio[1]),
                icon=":material/gavel:")
    page = (doc["queue_number"] - 1) // queries.QUEUE_PER_PAGE + 1
    st.page_link("views/queue.py", label=t("lookup.see_list", lang), icon=":material/format_list_numbered:",
                 query_params={"region": doc["region"], "locality": doc["locality"] or doc["region"],
                               "birth_year": str(doc["birth_year"]), "number": doc["application_number"],
                               "page": str(page), "lang": lang})


def main() -> None:
    lang = context.language()
    context.header(t("lookup.title", lang), t("lookup.intro", lang), lang)
    context.seed_from_url(KEY)
    with st.form("lookup", border=False, enter_to_submit=True):
        st.text_input(
            t("lookup.number_label", lang),
            key=KEY,
            max_chars=MAX_LENGTH,
            placeholder=t("lookup.number_placeholder", lang),
            autocomplete="off",
        )
        st.form_submit_button(t("lookup.submit", lang), type="primary")
    typed = (st.session_state.get(KEY) or "").strip()
    context.keep_in_url(KEY, typed)
    if not typed:
        st.caption(t("lookup.hint", lang))
        return
    cur, snapshot = context.reader().open()
    try:  # A number nobody could have been given is simply not found: no error, no query.
        doc = lookup(cur, typed, snapshot=snapshot, with_ahead=True) if is_well_formed(typed) else None
    finally:
        cur.close()
    if doc is None:
        st.info(t("lookup.not_found", lang, as_of=date(snapshot.as_of, lang),
                  hint=number_hint.hint(snapshot.number_pattern, lang, number_hint.code)))
        return
    show(doc, lang)


if __name__ == "__main__":  # Streamlit runs a page as __main__; importing it draws nothing
    main()
