"""The data dictionary of the open-data export, generated from engine/resources.py and the
catalogs: `python -m kezek.export_dictionary > docs/open-data.md`; a test fails when it is stale.
The dashboard's About page shows the same entries."""

from __future__ import annotations

from i18n import t
from kezek.export import __doc__ as LAYOUT
from engine.resources import FIELD_TYPE, RESOURCES


def cell(text: str) -> str:
    """Text inside a Markdown table cell: its pipes escaped."""
    return text.replace("|", "\\|")


def constraints(column) -> str:
    parts = ["required" if column.required else "optional"]
    if column.enum:
        parts.append("one of " + ", ".join(f"`{v}`" for v in column.enum))
    if column.minimum is not None:
        parts.append(f"≥ {column.minimum}")
    if column.pattern:
        parts.append(f"matches `{column.pattern}`")
    return "; ".join(parts)


def markdown() -> str:
    layout = LAYOUT.split("\n\n")[1]
    out = ["# Kezek open data: the tables of `kezek export`", "",
           "Generated from `engine/resources.py` by `python -m kezek.export_dictionary`; do not edit by hand.",
           "The same Table Schemas are in each export's `datapackage.json` (Frictionless Data Package).", "",
           "```", layout.strip("\n"), "```", ""]
    for r in RESOURCES.values():
        out += [f"## `{r.name}` — {t(f'resource.{r.name}', 'en')}", "",
                f"{t(f'resource.{r.name}', 'ru')} · {t(f'resource.{r.name}', 'kk')}", "",
                t(f"resource.{r.name}_description", "en"), ""]
        if r.primary_key:
            out.append(f"Key: {', '.join(f'`{c}`' for c in r.primary_key)}. "
                       f"Rows in the order of {', '.join(f'`{c}`' for c in r.order)}.")
        if r.partition:
            out.append(f"Parquet partitioned by {', '.join(f'`{c}`' for c in r.partition)}.")
        out += ["", "| column | type | constraints | meaning | русский | қазақша |", "|---|---|---|---|---|---|"]
        out += [f"| `{c.name}` | {FIELD_TYPE[c.type]} | {cell(constraints(c))} | {cell(t(r.description_key(c.name), 'en'))} | "
                f"{t(f'column.{c.name}', 'ru')} | {t(f'column.{c.name}', 'kk')} |" for c in r.columns]
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown(), end="")
