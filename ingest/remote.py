"""Datasets on a web server: a dataset folder's URL (the tables as files under it) or the
URL of a .zip. Every file is streamed to a temporary file with its SHA-256 computed on the
way, under a size cap, with connect and read timeouts; connection errors, 429 and 5xx are
retried with exponential backoff and jitter (honouring Retry-After); a redirect to another
host is refused; a body shorter than announced, or an HTML page where a table was expected,
is an error. Nothing is published from a failed download: the caller raises BadInput or
RemoteError and the previous publication stays."""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from engine import settings
from engine.schema import TABLES
from ingest.redaction import public_source, redact


class RemoteError(Exception):
    """A source could not be fetched: the network, the server, or what it sent. Its message
    never carries a password or a key of the address (ingest/redaction.py)."""

    def __init__(self, message: str):
        super().__init__(redact(message))


def _setting(name: str, read=settings.number):
    return field(default_factory=lambda: read(name))  # read when a policy is made, not at import


@dataclass(frozen=True)
class Policy:
    """How a download behaves; each field's default is its setting (engine/settings.py)."""

    connect_timeout: float = _setting("KEZEK_HTTP_CONNECT_TIMEOUT")
    read_timeout: float = _setting("KEZEK_HTTP_READ_TIMEOUT")
    attempts: int = _setting("KEZEK_HTTP_ATTEMPTS")
    backoff: float = _setting("KEZEK_HTTP_BACKOFF")  # seconds before the 2nd attempt; doubles
    max_wait: float = 60.0  # the longest pause between attempts, Retry-After included
    max_bytes: int = _setting("KEZEK_HTTP_MAX_BYTES")
    max_redirects: int = 5

    def backoff_after(self, attempt: int) -> float:
        """Seconds to wait after failed attempt `attempt` (0-based): doubling, with jitter."""
        return self.backoff * 2 ** attempt * (0.5 + random.random())
    # hosts a redirect may lead to besides the source's own (host or host:port, comma-separated)
    allowed_hosts: tuple[str, ...] = _setting("KEZEK_HTTP_ALLOW_HOSTS", settings.items)


RETRY_STATUS = {429, 500, 502, 503, 504}
CHUNK = 1 << 20


@dataclass
class Downloaded:
    url: str
    path: Path | None  # None: the file is not on the server (404)
    sha256: str = ""
    bytes: int = 0
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # 304: the copy kept from the last publication was used


class State:
    """What the last publication fetched: each URL's validators (ETag, Last-Modified) and a
    copy of its file, under HOME/remote/. A conditional request that answers 304 reuses the
    copy; `commit` records a run's downloads once they are published, never before. URLs
    are kept as their public form: no password or key is written to the home."""

    def __init__(self, home: Path):
        self.folder = home / "remote"
        try:
            self.known: dict = json.loads((self.folder / "state.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            self.known = {}

    def copy_of(self, url: str) -> Path:
        return self.folder / "cache" / hashlib.sha256(public_source(url).encode()).hexdigest()

    def entry(self, url: str) -> dict | None:
        return self.known.get(public_source(url))

    def validators(self, url: str) -> dict[str, str]:
        entry = self.entry(url)
        if not entry or not self.copy_of(url).is_file():
            return {}
        headers = {}
        if entry.get("etag"):
            headers["If-None-Match"] = entry["etag"]
        if entry.get("last_modified"):
            headers["If-Modified-Since"] = entry["last_modified"]
        return headers

    def commit(self, downloads: list[Downloaded]) -> None:
        (self.folder / "cache").mkdir(parents=True, exist_ok=True)
        known = {}
        for d in downloads:
            if d.path is None or not (d.etag or d.last_modified):
                continue
            if not d.not_modified:
                tmp = self.copy_of(d.url).with_suffix(".tmp")
                shutil.copyfile(d.path, tmp)
                os.replace(tmp, self.copy_of(d.url))
            known[public_source(d.url)] = {"etag": d.etag, "last_modified": d.last_modified, "sha256": d.sha256}
        tmp = self.folder / "state.json.tmp"
        tmp.write_text(json.dumps(known, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.folder / "state.json")
        kept = {self.copy_of(url).name for url in known}  # public forms map to the same copy
        for stale in (self.folder / "cache").iterdir():  # copies of URLs no longer fetched
            if stale.name not in kept:
                stale.unlink(missing_ok=True)


def retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    when = email.utils.parsedate_to_datetime(value)
    return max(0.0, when.timestamp() - time.time()) if when else None


def looks_like_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


def fetch(url: str, dest: Path, policy: Policy | None = None, *, missing_ok: bool = False,
          state: State | None = None) -> Downloaded:
    """Stream `url` into `dest`. 404 with `missing_ok`: Downloaded(path=None). With `state`,
    a conditional request: 304 copies the file kept from the last publication."""
    policy = policy or Policy()
    conditional = state.validators(url) if state else {}
    last, pause = "", 0.0
    for attempt in range(policy.attempts):
        if attempt:
            time.sleep(min(policy.max_wait, pause))
        try:
            response = _get(url, policy, conditional)
        except (requests.ConnectionError, requests.Timeout) as exc:
            last = f"{type(exc).__name__}: {exc}"
            pause = policy.backoff_after(attempt)
            continue
        with response:
            if response.status_code in RETRY_STATUS:
                last = f"HTTP {response.status_code}"
                told = retry_after(response)
                pause = told if told is not None else policy.backoff_after(attempt)
                continue
            if response.status_code == 304 and conditional:
                entry = state.entry(url)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(state.copy_of(url), dest)
                return Downloaded(url, dest, entry.get("sha256", ""), dest.stat().st_size, entry.get("etag"),
                                  entry.get("last_modified"), not_modified=True)
            if response.status_code == 404 and missing_ok:
                return Downloaded(url, None)
            if response.status_code != 200:
                raise RemoteError(f"{url}: HTTP {response.status_code}")
            if "text/html" in response.headers.get("Content-Type", "").lower():
                raise RemoteError(f"{url}: the server sent an HTML page, not a data file")
            try:
                return _save(url, response, dest, policy)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError):
                last = "the file was cut short: the connection ended before all its bytes came"
                pause = policy.backoff_after(attempt)
                continue
    raise RemoteError(f"{url}: gave up after {policy.attempts} attempts; last: {last}")


def _get(url: str, policy: Policy, conditional: dict[str, str]) -> requests.Response:
    """GET following redirects on the same host only (a dataset does not move abroad)."""
    host = urlsplit(url).netloc
    for _ in range(policy.max_redirects + 1):
        response = requests.get(url, stream=True, allow_redirects=False,
                                timeout=(policy.connect_timeout, policy.read_timeout),
                                headers={"Accept-Encoding": "identity", "User-Agent": "kezek", **conditional})
        if response.status_code not in (301, 302, 303, 307, 308):
            return response
        target = urljoin(url, response.headers.get("Location", ""))
        response.close()
        other = urlsplit(target)
        if other.netloc != host and other.netloc not in policy.allowed_hosts \
                and other.hostname not in policy.allowed_hosts:
            raise RemoteError(f"{url}: redirected to another host ({other.netloc}); refused "
                              "(KEZEK_HTTP_ALLOW_HOSTS lists the hosts allowed)")
        url = target
    raise RemoteError(f"{url}: too many redirects")


class Progress:
    """A download's progress on one line of a terminal; nothing when stderr is not one (cron,
    systemd), so that unattended runs log only their result."""

    def __init__(self, name: str, total: int | None):
        self.name, self.total, self.shown = name, total, sys.stderr.isatty()

    def show(self, size: int) -> None:
        if self.shown:
            of = f" of {self.total / 1e6:.1f}" if self.total else ""
            sys.stderr.write(f"\rdownloading {self.name}: {size / 1e6:.1f}{of} MB")
            sys.stderr.flush()

    def done(self, size: int) -> None:
        if self.shown:
            sys.stderr.write(f"\rdownloaded {self.name}: {size / 1e6:.1f} MB\n")
            sys.stderr.flush()


def _save(url: str, response: requests.Response, dest: Path, policy: Policy) -> Downloaded:
    announced = response.headers.get("Content-Length")
    if announced and announced.isdigit() and int(announced) > policy.max_bytes:
        raise RemoteError(f"{url}: {announced} bytes, over the limit of {policy.max_bytes}")
    digest, size = hashlib.sha256(), 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    progress = Progress(urlsplit(url).path.rsplit("/", 1)[-1] or url,
                        int(announced) if announced and announced.isdigit() else None)
    with open(dest, "wb") as fh:
        for chunk in response.iter_content(CHUNK):
            if size == 0 and looks_like_html(chunk[:512]):
                raise RemoteError(f"{url}: the server sent an HTML page, not a data file")
            size += len(chunk)
            if size > policy.max_bytes:
                raise RemoteError(f"{url}: over the limit of {policy.max_bytes} bytes; download stopped")
            digest.update(chunk)
            fh.write(chunk)
            progress.show(size)
    progress.done(size)
    if announced and announced.isdigit() and size != int(announced):
        raise RemoteError(f"{url}: the file is cut short ({size} of {announced} bytes)")
    return Downloaded(url, dest, digest.hexdigest(), size, response.headers.get("ETag"),
                      response.headers.get("Last-Modified"))


def fetch_dataset(url: str, folder: Path, policy: Policy | None = None,
                  state: State | None = None) -> tuple[Path, list[Downloaded]]:
    """A dataset folder's URL: dataset.json and each table as TABLE.csv (else TABLE.parquet),
    those not on the server skipped; or a .zip URL: the archive. Returns the local path and
    what each request gave."""
    policy = policy or Policy()
    if urlsplit(url).path.lower().endswith(".zip"):
        got = fetch(url, folder / "dataset.zip", policy, state=state)
        return got.path, [got]
    base = url if url.endswith("/") else url + "/"
    folder.mkdir(parents=True, exist_ok=True)
    got = [fetch(base + "dataset.json", folder / "dataset.json", policy, missing_ok=True, state=state)]
    for table in TABLES:
        for fmt in ("csv", "parquet"):
            got.append(fetch(base + f"{table}.{fmt}", folder / f"{table}.{fmt}", policy, missing_ok=True, state=state))
            if got[-1].path:
                break
    return folder, got


def unchanged(downloads: list[Downloaded]) -> bool:
    """Every file the server has answered 304, and it has no file the last run lacked."""
    present = [d for d in downloads if d.path is not None]
    return bool(present) and all(d.not_modified for d in present)
