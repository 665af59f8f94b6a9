"""Open data: the whole publication to download (a ZIP with datapackage.json, each table as
CSV and Parquet), the data dictionary, the licence, and the previous versions: every
publication with its row counts, what changed since the one before, the checksums of the
files read and the links of its files while they are kept (engine/resources.py,
engine/versions.py)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import context
from i18n import N_, date, number, t, tn
from engine.publication import zip_name
from engine import store
from engine.resources import FIELD_TYPE, RESOURCES
from engine.versions import versions

TABLE = "open_data:table"  # widget key; URL parameter ?table=NAME: the table whose columns are shown


def downloads(meta: dict, lang: str) -> None:
    snapshot = meta["snapshot"]
    base = f"/open-data/{snapshot}"
    st.subheader(t("open_data.downloads", lang))
    st.markdown(t("open_data.package", lang, zip=f"{base}.zip", name=zip_name(snapshot),
                  datapackage=f"{base}/datapackage.json"))
    rows = context.query(store.table_rows, RESOURCES)  # the tables this snapshot holds
    table = pd.DataFrame([{
        "table": name,
        "title": t(f"resource.{name}", lang),
        "rows": rows[name],
        "csv": f"{base}/csv/{name}.csv",
        # a partitioned table is a folder of files: it comes in the archive
        "parquet": f"{base}.zip" if resource.partition else f"{base}/parquet/{name}.parquet",
    } for name, resource in RESOURCES.items() if rows.get(name)])
    st.dataframe(table, hide_index=True, column_config={
        "table": t("column.table", lang),
        "title": t("column.name", lang),
        "rows": st.column_config.NumberColumn(t("column.rows", lang), format="%d"),
        "csv": st.column_config.LinkColumn("CSV", display_text="CSV"),
        "parquet": st.column_config.LinkColumn("Parquet", display_text="Parquet"),
    })
    st.caption(t("open_data.parquet_note", lang))
    st.markdown(t("about.reuse_license", lang, license=context.md(meta.get("license") or "—"),
                  publisher=context.md(meta.get("publisher") or "—")))


def dictionary(lang: str) -> None:
    st.subheader(t("open_data.dictionary", lang))
    name = context.select(st, t("column.table", lang), list(RESOURCES), key=TABLE, param="table",
                          default="queue", format_func=lambda n: f"{t(f'resource.{n}', lang)} ({n})")
    resource = RESOURCES[name]
    st.markdown(t(f"resource.{name}_description", lang))
    # what a column means comes right after its names: on a phone the later columns need a scroll
    columns = pd.DataFrame([{
        "column": c.name,
        "title": t(f"column.{c.name}", lang),
        "description": t(resource.description_key(c.name), lang),
        "type": FIELD_TYPE[c.type],
        "required": c.required,
        "values": ", ".join(c.enum) if c.enum else (c.pattern or ""),
    } for c in resource.columns])
    st.dataframe(columns, hide_index=True, column_config={
        "column": t("column.column", lang),
        "title": t("column.name", lang),
        "description": st.column_config.TextColumn(t("column.description", lang), width="large"),
        "type": t("column.type", lang),
        "required": st.column_config.CheckboxColumn(t("column.required", lang)),
        "values": t("column.values", lang),
    })
    if resource.primary_key:
        st.caption(t("open_data.key", lang, columns=", ".join(resource.primary_key)))


# What a publication's files read did, as engine/versions.py names it.
SOURCE_CHANGES = {"sources_added": N_("open_data.sources_added"), "sources_removed": N_("open_data.sources_removed"),
                  "sources_changed": N_("open_data.sources_changed")}


def what_changed(changes: dict | None, lang: str) -> str:
    """A publication's changes in words: the tables whose rows changed (by how many), the
    files read that were added, removed or changed."""
    if changes is None:
        return t("open_data.first_publication", lang)
    said = [f"{t(f'resource.{table}', lang)} {'+' if n > 0 else '−'}{number(abs(n), lang)}"
            for table, n in changes["rows"].items() if table in RESOURCES]
    said += [t(key, lang, files=", ".join(changes[kind])) for kind, key in SOURCE_CHANGES.items() if changes[kind]]
    return "; ".join(said) or t("open_data.no_change", lang)


def changelog(meta: dict, lang: str) -> None:
    st.subheader(t("open_data.changelog", lang))
    found = versions(store.resolve_home(None))
    if not found:
        st.info(t("open_data.no_changelog", lang))
        return
    table = pd.DataFrame([{
        "published": context.published({**meta, "published_at": p["published_at"]}, lang),
        "as_of": date(p["as_of"], lang) if p["as_of"] else "—",
        "snapshot": p["snapshot"],
        "files": p["files"]["zip"] if p["files"] else None,  # none once pruned
        "changes": what_changed(p["changes"], lang),
        **{f"rows_{n}": p["rows"].get(n) for n in ("applications", "queue", "vacancies", "kindergartens")},
        "sources": "; ".join(f"{s['file']} ({s['sha256'][:12]}…)" if s.get("sha256") else s["file"]
                             for s in p["sources"]),
    } for p in found])
    st.dataframe(table, hide_index=True, column_config={
        "published": t("about.published", lang),
        "as_of": t("about.as_of", lang),
        "snapshot": t("about.snapshot", lang),
        "files": st.column_config.LinkColumn(t("open_data.files", lang), display_text="ZIP"),
        "changes": t("open_data.changes", lang),
        **{f"rows_{n}": st.column_config.NumberColumn(t(f"resource.{n}", lang), format="%d")
           for n in ("applications", "queue", "vacancies", "kindergartens")},
        "sources": t("about.source", lang),
    })
    context.download(table, "publications", lang)
    st.caption(tn("open_data.changelog_note", len(found), lang))
    st.markdown(t("open_data.versions_note", lang))


def main() -> None:
    lang = context.language()
    meta = context.header(t("open_data.title", lang), t("open_data.intro", lang), lang)
    downloads(meta, lang)
    dictionary(lang)
    changelog(meta, lang)


if __name__ == "__main__":  # Streamlit runs a page as __main__; importing it draws nothing
    main()
