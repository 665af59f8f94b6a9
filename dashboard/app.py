"""Kezek's dashboard: the entry script Streamlit runs for every visit and every rerun.

Served by `kezek serve` (dashboard.server); the pages are the scripts in dashboard/views/.
The language is settled first, so that everything drawn after it, the navigation
included, speaks it.
"""

from __future__ import annotations

from html import escape

import streamlit as st

import i18n
from dashboard import chrome, context, queries
from i18n import t
from dashboard.components import no_snapshot
from engine.store import SnapshotUnavailable


# Streamlit's headings are sized for desktops; on a phone a page title would take the
# whole first screen and push the answer out of sight. The list of pages, at the top of a
# desktop's page, goes to the bottom of a phone's: what a parent came for (the number box)
# comes first, and a link at the top says where the pages are.
PHONE_CSS = """<style>
@media (max-width: 640px) {
  h1 { font-size: 1.75rem !important; padding-top: 0.5rem !important; }
  [data-testid="stMainBlockContainer"] { padding-top: 3.5rem !important; }
  [data-testid="stLayoutWrapper"]:has(> .st-key-kezek-pages) { order: 1; }
  [data-testid="stLayoutWrapper"]:has(> .st-key-kezek-footer), .st-key-kezek-footer { order: 2; }
}
@media (min-width: 641px) {
  .st-key-kezek-to-pages { display: none; }
}
.st-key-kezek-pages a[data-testid="stPageLink-NavLink"] { padding: 0.1rem 0.5rem; }
</style>"""


WIDE = {"kindergartens", "audit", "districts"}


def footer(about: dict[str, str], lang: str) -> None:
    box = st.container(key="kezek-footer")
    box.divider()
    box.caption(
        t(
            "footer.source",
            lang,
            as_of=i18n.date(about["as_of"], lang) if about.get("as_of") else "—",
            publisher=context.md(about.get("publisher") or "—"),
            license=context.md(about.get("license") or "—"),
            snapshot=context.md(about.get("snapshot") or "—"),
        )
    )


def pages(lang: str) -> list:
    """The pages in the order of the navigation; the overview is the landing page at `/`.

    A page's `url_path` is its public address (`/lookup?app=…`, `/queue?number=…`): links
    people share depend on them, so they never change.
    """
    return [
        st.Page("views/overview.py", title=t("overview.nav", lang), url_path="overview", default=True,
                icon=":material/dashboard:"),
        st.Page("views/lookup.py", title=t("lookup.nav", lang), url_path="lookup", icon=":material/search:"),
        st.Page("views/queue.py", title=t("queue.nav", lang), url_path="queue",
                icon=":material/format_list_numbered:"),
        st.Page("views/movement.py", title=t("movement.nav", lang), url_path="movement",
                icon=":material/show_chart:"),
        st.Page("views/kindergartens.py", title=t("kindergartens.nav", lang),
                url_path="kindergartens", icon=":material/school:"),
        st.Page("views/vacancies.py", title=t("vacancies.nav", lang), url_path="vacancies",
                icon=":material/event_seat:"),
        st.Page("views/audit.py", title=t("audit.nav", lang), url_path="audit", icon=":material/policy:"),
        st.Page("views/districts.py", title=t("districts.nav", lang), url_path="districts",
                icon=":material/map:"),
        st.Page("views/open_data.py", title=t("open_data.nav", lang), url_path="open-data",
                icon=":material/download:"),
        st.Page("views/about.py", title=t("about.nav", lang), url_path="about", icon=":material/info:"),
    ]


def navigation(listed: list, lang: str) -> None:
    """Every page by its name, as links that keep the language. Streamlit's own navigation
    hides pages behind "1 more" on a desktop and behind an unlabelled icon on a phone."""
    # HTML rather than Markdown: the page's own texts stay the page's first Markdown elements.
    st.container(key="kezek-to-pages").html(f'<a href="#{PAGES_ANCHOR}">{escape(t("nav.to_pages", lang))}</a>')
    box = st.container(key="kezek-pages", gap=None)
    box.html(f'<strong id="{PAGES_ANCHOR}">{escape(t("nav.pages", lang))}</strong>')
    links = box.container(horizontal=True, gap="small")
    for page in listed:
        links.page_link(page, label=page.title, icon=page.icon, query_params={"lang": lang})


PAGES_ANCHOR = "kezek-pages"


def main() -> None:
    lang = context.language()
    listed = pages(lang)
    page = st.navigation(listed, position="hidden")
    # The register's table needs the width of a desktop; the other pages read better narrow.
    st.set_page_config(page_title=t("app.title", lang), page_icon="🧸",
                       layout="wide" if page.url_path in WIDE else "centered")
    st.html(PHONE_CSS)
    chrome.translate(lang)
    lang = context.language_switch(lang)
    navigation(listed, lang)
    try:
        about = context.query(queries.meta)
        page.run()
    except SnapshotUnavailable:  # nothing published, or the snapshot went away meanwhile
        no_snapshot.render(lang)
        return
    footer(about, lang)


if __name__ == "__main__":  # Streamlit runs the entry script as __main__
    main()
