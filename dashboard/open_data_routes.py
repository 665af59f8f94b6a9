"""The open-data files of a published snapshot, served at /open-data/SNAPSHOT/… and as one
ZIP at /open-data/SNAPSHOT.zip, from HOME/open-data/SNAPSHOT/, which the publication wrote
(engine/publication.py): the server only serves files, it never builds them.

Links name the snapshot, so a file never changes behind its address; a snapshot that has
been pruned, one published without its open data, or a path outside the export, is 404."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import BaseRoute, Route

from engine import store
from engine.publication import open_data_folder, zip_name

SNAPSHOT_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{8}(-[0-9]+)?$")


def routes(home: str | Path) -> list[BaseRoute]:
    home = Path(home)

    def not_found() -> JSONResponse:
        return JSONResponse({"error": "not_found"}, status_code=404)

    def serve_file(snapshot: str, relative: str):
        if not SNAPSHOT_ID.match(snapshot) or not (home / store.SNAPSHOTS / f"{snapshot}.duckdb").exists():
            return not_found()
        try:
            folder = open_data_folder(home, snapshot).resolve(strict=True)
        except FileNotFoundError:  # published before Kezek wrote open data at publication
            return not_found()
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
