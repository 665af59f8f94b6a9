"""Shown instead of any page while no readable snapshot is published."""

from __future__ import annotations

import streamlit as st

from i18n import t

PUBLISH = "kezek update --source demo:astana-2017 --home DIR\nkezek serve --home DIR"


def render(lang: str) -> None:
    st.title(t("nosnapshot.title", lang))
    st.info(t("nosnapshot.visitor", lang))
    st.markdown(t("nosnapshot.operator", lang))
    st.code(PUBLISH, language="bash", wrap_lines=True)
    st.caption(t("nosnapshot.sources", lang))
