"""Kezek's dashboard: the entry script Streamlit runs for every visit and every rerun.

Served by `kezek serve` (dashboard.server); the pages are the scripts in dashboard/views/.
The language is settled first, so that everything drawn after it, the navigation
included, speaks it.
"""

from __future__ import annotations

import streamlit as st

import i18n
from dashboard import context, queries
from i18n import t
from dashboard.components import no_snapshot
from engine.store import SnapshotUnavailable


# Streamlit's headings are sized for desktops; on a phone a page title would take the
# whole first screen and push the answer out of sight.
PHONE_CSS = """<style>
@media (max-width: 640px) {
  h1 { font-size: 1.75rem !important; padding-top: 0.5rem !important; }
}
</style>"""


WIDE = {"kindergartens", "audit"}


def footer(about: dict[str, str], lang: str) -> None:
    st.divider()
    st.caption(
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
        st.Page("views/open_data.py", title=t("open_data.nav", lang), url_path="open-data",
                icon=":material/download:"),
        st.Page("views/about.py", title=t("about.nav", lang), url_path="about", icon=":material/info:"),
    ]


def main() -> None:
    lang = context.language()
    page = st.navigation(pages(lang), position="top")
    # The register's table needs the width of a desktop; the other pages read better narrow.
    st.set_page_config(page_title=t("app.title", lang), page_icon="🧸",
                       layout="wide" if page.url_path in WIDE else "centered")
    st.html(PHONE_CSS)
    lang = context.language_switch(lang)
    try:
        about = context.query(queries.meta)
        page.run()
    except SnapshotUnavailable:  # nothing published, or the snapshot went away meanwhile
        no_snapshot.render(lang)
        return
    footer(about, lang)


if __name__ == "__main__":  # Streamlit runs the entry script as __main__
    main()
