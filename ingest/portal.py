"""The open-data portal's API (data.egov.kz style): a dataset is read page by page,
`GET {base}/api/v4/{api}/{version}?apiKey=KEY&source={"from":N,"size":M}`, each page a JSON
array of flat objects, until a page comes back shorter than asked. The rows are written as
TABLE.jsonl for the ingest; field names are mapped to the canonical columns by the
source's mapping file. The key is read from an environment variable and never printed,
logged or archived: every message has it replaced by ***."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from ingest.remote import Policy, RemoteError, fetch

MAX_PAGES = 100_000  # a server that never sends a short page is stopped here


def page_url(base: str, api: str, version: str, key: str, start: int, size: int) -> str:
    query = quote(json.dumps({"from": start, "size": size}, separators=(",", ":")), safe="")
    return f"{base.rstrip('/')}/api/v4/{api}/{version}?apiKey={quote(key, safe='')}&source={query}"


def fetch_table(base: str, api: str, version: str, key: str, table: str, folder: Path,
                size: int = 1000, policy: Policy | None = None) -> Path:
    """Every row of the dataset into folder/TABLE.jsonl."""
    out = folder / f"{table}.jsonl"
    folder.mkdir(parents=True, exist_ok=True)
    secret = [key, quote(key, safe="")] if key else []
    with open(out, "w", encoding="utf-8") as fh:
        for page in range(MAX_PAGES):
            url = page_url(base, api, version, key, page * size, size)
            try:
                got = fetch(url, folder / f".page-{table}", policy)
                rows = json.loads(got.path.read_text(encoding="utf-8-sig"))
            except RemoteError as exc:
                raise RemoteError(redact(str(exc), secret)) from None
            except ValueError as exc:
                raise RemoteError(redact(f"{api} page {page + 1}: not JSON ({exc})", secret)) from None
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise RemoteError(f"{api} page {page + 1}: expected a JSON array of objects")
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            if len(rows) < size:
                break
        else:
            raise RemoteError(f"{api}: more than {MAX_PAGES} pages; stopped")
    (folder / f".page-{table}").unlink(missing_ok=True)
    return out


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
