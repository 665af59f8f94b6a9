"""The data dictionary of the format, generated from engine/schema.py.

`python -m engine.format_dictionary > docs/format.md`; a test fails when the file is stale.
"""

from __future__ import annotations

from engine.schema import EVENT_REQUIRES, EVENT_STATUS, FORMAT_VERSION, REFERRAL_CHANNELS_WITHOUT_BULLETIN, TABLES


def markdown() -> str:
    out = [
        f"# Kezek open-data format, version {FORMAT_VERSION}: tables and columns",
        "",
        "Generated from `engine/schema.py` by `python -m engine.format_dictionary`; do not edit by hand.",
        "The full contract, with encodings, date styles and the Russian and Kazakh headers, is",
        "[open-data-format.md](open-data-format.md); the headers and labels Kezek accepts are in `ingest/vocabulary.toml`.",
        "",
    ]
    for table in TABLES.values():
        out += [f"## `{table.name}` ({'required' if table.required else 'optional'})", "", table.description, ""]
        if table.primary_key:
            out += [f"Key: {', '.join(f'`{c}`' for c in table.primary_key)}.", ""]
        out += ["| column | type | required | meaning |", "|---|---|---|---|"]
        for c in table.columns:
            kind = f"{c.type}: {', '.join(f'`{v}`' for v in c.enum)}" if c.enum else c.type
            if c.minimum is not None:
                kind += f" ≥ {c.minimum}"
            note = " Never published: only the birth year is." if c.personal else ""
            out.append(f"| `{c.name}` | {kind} | {'yes' if c.required else 'no'} | {c.description}{note} |")
        out.append("")
    out += ["## Events and the status they leave", "", "| event | status after |", "|---|---|"]
    out += [f"| `{e}` | `{s}` |" for e, s in EVENT_STATUS.items()]
    out += ["| `privilege_changed` | (unchanged) |", "", "Columns an event must carry:", ""]
    out += [f"- `{col}` for {', '.join(f'`{e}`' for e in events)}" for col, events in EVENT_REQUIRES.items()]
    out += ["", "A `referral_issued` in the channel " + ", ".join(f"`{c}`" for c in REFERRAL_CHANNELS_WITHOUT_BULLETIN)
            + " need not name a bulletin (rule A6: such places are taken regardless of the queue number)."]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
