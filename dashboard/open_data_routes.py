"""The open-data files of a published snapshot, served at /open-data/SNAPSHOT/… and as one
ZIP at /open-data/SNAPSHOT.zip, from HOME/open-data/SNAPSHOT/, which the publication wrote
(engine/publication.py): the server only serves files, it never builds them.

Links name the snapshot, so a file never changes behind its address; a snapshot that has
been pruned, one published without its open data, or a path outside the export, is 404.

/open-data/latest/… (and /open-data/latest.zip) gives the current publication's own files,
not a redirect: `curl -O` and a spreadsheet's "from web" get the table, not an empty 302.
Such an answer names the file's permanent link in `Content-Location` and the snapshot in
`X-Kezek-Snapshot`, and is revalidated on every use (`no-cache`, the file's ETag), since a
publication changes it. /open-data/publications.json is the list of every publication with
what changed and the links of those kept (engine/versions.py)."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import BaseRoute, Route

from engine import store
from engine.publication import OPEN_DATA, VERSIONS, open_data_folder, zip_name

SNAPSHOT_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{8}(-[0-9]+)?$")


def routes(home: str | Path) -> list[BaseRoute]:
    home = Path(home)

    def not_found() -> JSONResponse:
        return JSONResponse({"error": "not_found"}, status_code=404)

    def found(snapshot: str, relative: str) -> Path | None:
        if not SNAPSHOT_ID.match(snapshot) or not (home / store.SNAPSHOTS / f"{snapshot}.duckdb").exists():
            return None
        try:
            folder = open_data_folder(home, snapshot).resolve(strict=True)
        except FileNotFoundError:  # published before Kezek wrote open data at publication
            return None
        path = (folder / relative).resolve()
        if folder not in path.parents or not path.is_file():  # nothing outside the export
            return None
        return path

    def serve_file(snapshot: str, relative: str):
        path = found(snapshot, relative)
        if path is None:
            return not_found()
        return FileResponse(path, headers={"Cache-Control": "public, max-age=31536000, immutable"})

    def serve_latest(relative: str | None):
        try:
            snapshot = store.current(home).snapshot
        except store.SnapshotUnavailable:
            return not_found()
        path = found(snapshot, relative or zip_name(snapshot))
        if path is None:
            return not_found()
        permanent = f"/open-data/{snapshot}.zip" if relative is None else f"/open-data/{snapshot}/{relative}"
        return FileResponse(path, filename=path.name if relative is None else None, headers={
            "Cache-Control": "no-cache", "Content-Location": permanent, "X-Kezek-Snapshot": snapshot})

    def file(request: Request):
        return serve_file(request.path_params["snapshot"], request.path_params["path"])

    def archive(request: Request):
        snapshot = request.path_params["snapshot"]
        return serve_file(snapshot, zip_name(snapshot))

    def latest_file(request: Request):
        return serve_latest(request.path_params["path"])

    def latest_archive(request: Request):
        return serve_latest(None)

    def versions(request: Request):
        path = home / OPEN_DATA / VERSIONS
        if not path.is_file():  # no publication since Kezek wrote the list
            return not_found()
        return FileResponse(path, media_type="application/json", headers={"Cache-Control": "no-cache"})

    return [Route("/open-data/latest.zip", latest_archive, methods=["GET"]),
            Route("/open-data/latest/{path:path}", latest_file, methods=["GET"]),
            Route(f"/open-data/{VERSIONS}", versions, methods=["GET"]),
            Route("/open-data/{snapshot}.zip", archive, methods=["GET"]),
            Route("/open-data/{snapshot}/{path:path}", file, methods=["GET"])]
