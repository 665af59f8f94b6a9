"""The data dictionary of the format, generated from engine/schema.py.

`python -m engine.format_dictionary > docs/format.md`; a test fails when the file is stale.
"""

from __future__ import annotations

import json

from engine.schema import (DATASET_EXAMPLE, DATASET_KEYS, EVENT_REQUIRES, EVENT_STATUS, FORMAT_VERSION,
                           REFERRAL_CHANNELS_WITHOUT_BULLETIN, TABLES)


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
            + " need not name a bulletin (rule A6: such places are taken regardless of the queue number).", ""]
    out += ["## `dataset.json`", "", "A dataset's description of itself, beside its tables; every key is optional.", "",
            "| key | meaning |", "|---|---|"]
    out += [f"| `{key}` | {meaning} |" for key, meaning in DATASET_KEYS.items()]
    out += ["", "For example:", "", "```json", json.dumps(DATASET_EXAMPLE, ensure_ascii=False, indent=2), "```", "",
            "Without a dataset.json, or with one that gives no `title`, `publisher` or `license`, `kezek update`",
            "warns (in the language of its messages): every page would show “—” for them, while the data are",
            "published all the same. A mapping's `[dataset]` may give the same keys (mapping.md)."]
    out += ["", "## A series (format 1.1)", "",
            "A folder whose subfolders are named by the local time of each snapshot (`YYYY-MM-DD` or",
            "`YYYY-MM-DDTHHMM`), or a local git repository of daily commits (`git:PATH`), each snapshot",
            "holding some or all tables. A table missing from a snapshot keeps its last value; the events",
            "`registered`, `left`, `returned`, `privilege_changed` and `registration_changed` are derived",
            "from consecutive snapshots (`derived` true, `seen_in` the snapshot); a snapshot's `positions`",
            "without `as_of` are of its day. The series' own `mapping.toml` and `dataset.json` apply to all",
            "of its snapshots.", "",
            "## Files laid out differently", "",
            "A `mapping.toml` in the dataset's folder, or `kezek update --mapping FILE`, renames columns and",
            "values and may transform them (constants, expressions, filters, grouped rows, repeated column",
            "groups into rows, coordinates to WGS 84): [mapping.md](mapping.md)."]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
