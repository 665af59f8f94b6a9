"""The open-data files of a published snapshot, served at /open-data/SNAPSHOT/… and as one
ZIP at /open-data/SNAPSHOT.zip: `kezek export` run once per snapshot, on the first request,
into HOME/open-data/SNAPSHOT/ (built aside, then moved into place), then served as files.

Links name the snapshot, so a file never changes behind its address; a snapshot that has
been pruned, or a path outside the export, is 404."""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import time
import zipfile
from pathlib import Path

import duckdb
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import BaseRoute, Route

from engine import store

log = logging.getLogger("kezek.open_data")

FOLDER = "open-data"
SNAPSHOT_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{8}(-[0-9]+)?$")
ZIP_DATE = (2000, 1, 1, 0, 0, 0)  # a fixed stamp: the same snapshot gives the same ZIP


def zip_name(snapshot: str) -> str:
    return f"kezek-{snapshot}.zip"


def ensure(home: Path, snapshot: str) -> Path:
    """The export folder of `snapshot` (a published snapshot file must exist), made if needed."""
    from kezek.export import export

    root = home / FOLDER
    target = root / snapshot
    if (target / "datapackage.json").exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:  # one builder; the others wait and then find it made
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / "datapackage.json").exists():
            return target
        building = root / f".{snapshot}.{os.getpid()}.tmp"
        shutil.rmtree(building, ignore_errors=True)
        try:
            con = store.open_snapshot(home / store.SNAPSHOTS / f"{snapshot}.duckdb")
            try:
                export(con, building, ["csv", "parquet"])
            finally:
                con.close()
            write_zip(building, building / zip_name(snapshot))
            os.replace(building, target)
        except BaseException:  # a damaged snapshot, a full disk: leave nothing half-built
            shutil.rmtree(building, ignore_errors=True)
            raise
        prune(home, root)
    return target


def write_zip(folder: Path, path: Path) -> None:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p != path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for file in files:
            info = zipfile.ZipInfo(file.relative_to(folder).as_posix(), ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(file, "rb") as fh:
                z.writestr(info, fh.read())


def prune(home: Path, root: Path) -> None:
    """Exports of snapshots no longer on disk go with them."""
    kept = {p.stem for p in (home / store.SNAPSHOTS).glob("*.duckdb")}
    for folder in root.iterdir():
        if folder.is_dir() and not folder.name.startswith(".") and folder.name not in kept:
            shutil.rmtree(folder, ignore_errors=True)


# Snapshots whose export failed for want of a readable file, and until when (time.monotonic())
# that is believed: a damaged file stays damaged, and each try reads it up to the damage.
UNBUILDABLE_FOR = 60.0
_unbuildable: dict[Path, float] = {}


def routes(home: str | Path) -> list[BaseRoute]:
    home = Path(home)

    def unavailable() -> JSONResponse:
        return JSONResponse({"error": "unavailable"}, status_code=503,
                            headers={"Cache-Control": "no-store", "Retry-After": "60"})

    def not_found() -> JSONResponse:
        return JSONResponse({"error": "not_found"}, status_code=404)

    def serve_file(snapshot: str, relative: str):
        snapshot_file = home / store.SNAPSHOTS / f"{snapshot}.duckdb"
        if not SNAPSHOT_ID.match(snapshot) or not snapshot_file.exists():
            return not_found()
        if _unbuildable.get(snapshot_file, 0.0) > time.monotonic():
            return unavailable()
        try:
            folder = ensure(home, snapshot).resolve()
        except duckdb.Error as exc:  # the snapshot's file cannot be read whole
            log.error("Open data of snapshot %s cannot be built: %s", snapshot, exc)
            _unbuildable[snapshot_file] = time.monotonic() + UNBUILDABLE_FOR
            return unavailable()
        path = (folder / relative).resolve()
        if folder not in path.parents or not path.is_file():  # nothing outside the export
            return not_found()
        return FileResponse(path, headers={"Cache-Control": "public, max-age=31536000, immutable"})

    def file(request: Request):
        return serve_file(request.path_params["snapshot"], request.path_params["path"])

    def archive(request: Request):
        snapshot = request.path_params["snapshot"]
        return serve_file(snapshot, zip_name(snapshot))

    return [Route("/open-data/{snapshot}.zip", archive, methods=["GET"]),
            Route("/open-data/{snapshot}/{path:path}", file, methods=["GET"])]
