"""A series kept in a local git repository (`--source git:PATH`, interfaces.md "Additions of
2026-12"): a city that commits its list every day (Vilnius since 2015), or a journalist's
scraper ("git scraping"). Each commit that touches PATH is a snapshot, at the commit's time
on its own clock; the files are read with git itself, from the local repository only.

`materialize` writes a snapshot as a dated folder of a series (ingest/series.py), so that a
repository and a folder of the same snapshots are read the same way; only the snapshots an
update reads are written (those the publication carries are not).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import tarfile
from pathlib import Path

from ingest.problems import BadInput, Problem
from ingest.series import Snapshot

PREFIX = "git:"


def is_git_source(source: str) -> bool:
    return source.startswith(PREFIX)


def _git(path: Path, *args: str, binary: bool = False):
    try:
        done = subprocess.run(["git", "-C", str(path), *args], capture_output=True, check=True, timeout=3600,
                              env={"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1",
                                   "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent"})
    except FileNotFoundError:
        raise BadInput([Problem(f"{PREFIX}{path}", None, None, "git is not installed; install it to read a series "
                                "from a repository", key="git_missing")]) from None
    except subprocess.CalledProcessError as exc:
        said = exc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BadInput([Problem(f"{PREFIX}{path}", None, None,
                                f"not readable as a git repository: {said[0] if said else exc.returncode}",
                                key="git_unreadable")]) from None
    return done.stdout if binary else done.stdout.decode("utf-8")


def snapshots(path: Path) -> list[tuple[dt.datetime, str]]:
    """(local time, commit) of each snapshot, oldest first: of the commits on the first-parent
    line that touch `path`, the last one of each minute (a folder name's precision)."""
    log = _git(path, "log", "--first-parent", "--format=%H %cI", "--", ".")
    by_minute: dict[dt.datetime, tuple[dt.datetime, str]] = {}
    for line in reversed(log.splitlines()):  # oldest first: a later commit of the same minute wins
        commit, when = line.split(" ", 1)
        at = dt.datetime.fromisoformat(when).replace(tzinfo=None)  # the committer's wall clock
        by_minute[at.replace(second=0, microsecond=0)] = (at, commit)
    return [(minute, commit) for minute, (_, commit) in sorted(by_minute.items())]


def commit_snapshots(path: Path, out: Path) -> list[Snapshot]:
    """The snapshots of the repository folder `path`, each to be written to
    out/YYYY-MM-DDTHHMM/ by `materialize`; a commit is what its snapshot holds."""
    found = snapshots(path)
    if not found:
        raise BadInput([Problem(f"{PREFIX}{path}", None, None, "no commit holds files here", key="git_no_commit")])
    out.mkdir(parents=True, exist_ok=True)
    return [Snapshot(at, f"{at:%Y-%m-%dT%H%M}", commit, out / f"{at:%Y-%m-%dT%H%M}") for at, commit in found]


def materialize(path: Path, snapshot: Snapshot) -> None:
    """Write the files under the repository folder `path`, as they were in the snapshot's
    commit, into the snapshot's folder."""
    snapshot.folder.mkdir(parents=True)
    archive = _git(path, "archive", "--format=tar", snapshot.identity, "--", ".", binary=True)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
        # git archive, run inside `path`, names the files relative to it
        members = [m for m in tar.getmembers() if m.isfile()]
        tar.extractall(snapshot.folder, members=members, filter="data")  # no links, no paths outside
