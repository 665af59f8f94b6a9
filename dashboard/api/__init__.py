"""Kezek's public HTTP API, `/api/v1/…` (interfaces.md, "HTTP API").

`routes(home)` gives the Starlette routes that `dashboard.server` serves beside the
dashboard's pages; `openapi.document` describes them; `models` shapes their answers.
"""

from dashboard.api.routes import OPERATIONS, routes

__all__ = ["OPERATIONS", "routes"]
