"""The OpenAPI 3.1 description of the HTTP API, generated from the routes' own models.

The operations table (`dashboard.api.routes.OPERATIONS`) names each route's parameter and
response models; their JSON Schemas (pydantic's `model_json_schema`, JSON Schema 2020-12,
which OpenAPI 3.1 speaks natively) become `components.schemas`. Nothing here is written
by hand but the prose.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter

from dashboard.api import models

REF = "#/components/schemas/{model}"

ERRORS = {
    400: ("BadRequest", "A parameter is unknown, given twice or malformed, or refused as the operation "
                        "says (a day after the snapshot's date, `to` before `from`, a parameter the "
                        "operation needs left out); `detail` and `parameter` say which. A filter value "
                        "the publication does not hold (`district=Есил`) is refused too, and `allowed` "
                        "lists the values it does."),
    404: ("NotFound", "Nothing of that id or number (at that date)."),
    500: ("Internal", "An unexpected failure; details are in the server's log."),
    503: ("Unavailable", "No readable snapshot is published: none yet, a pointer without its date, "
                         "or a damaged snapshot file. Try again later (Retry-After)."),
}

HEADERS = {
    "X-Kezek-Snapshot": ("XKezekSnapshot", "Id of the published snapshot the answer comes from."),
    "X-Kezek-Rules-Unknown": ("XKezekRulesUnknown", "Present when the data hold regions whose rules Kezek does "
                              "not know (no ruleset covers them): those regions, percent-encoded UTF-8, separated "
                              "by commas. There nothing is numbered or judged by rules; numbers are as published."),
    "X-Kezek-Published-At": ("XKezekPublishedAt", "When the snapshot was published (ISO 8601 with offset)."),
    "X-Kezek-Updated-At": ("XKezekUpdatedAt", "The last successful update, in UTC (ISO 8601): the publication, or a "
                           "later run that found every source unchanged. How old the data are, as a moment: an "
                           "answer a cache kept stays true."),
    "ETag": ("ETag", "Weak validator: the snapshot id. Send it back in If-None-Match to get 304 "
                     "until the next publication."),
    "Cache-Control": ("CacheControl", "`public, max-age=60`."),
}


def _query_parameters(model: type[BaseModel], location: str) -> list[dict]:
    schema = model.model_json_schema(by_alias=True, mode="validation", ref_template=REF)
    required = set(schema.get("required", ()))
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        if "anyOf" in prop:  # `X | None`: a query parameter is absent, never null
            kinds = [s for s in prop.pop("anyOf") if s.get("type") != "null"]
            prop = {**(kinds[0] if len(kinds) == 1 else {"anyOf": kinds}), **prop}
            if prop.get("default", 0) is None:
                del prop["default"]
        parameter = {"name": name, "in": location, "required": location == "path" or name in required,
                     "schema": prop}
        if description:
            parameter["description"] = description
        out.append(parameter)
    return out


def _header_refs() -> dict:
    return {name: {"$ref": f"#/components/headers/{key}"} for name, (key, _) in HEADERS.items()}


def _response_schemas(operations) -> tuple[dict, dict]:
    inputs = [(op.operation_id, "serialization", TypeAdapter(op.response)) for op in operations]
    inputs.append(("Error", "serialization", TypeAdapter(models.Error)))
    mapping, definitions = TypeAdapter.json_schemas(inputs, ref_template=REF)
    by_operation = {key: schema for (key, _), schema in mapping.items()}
    return by_operation, definitions.get("$defs", {})


CSV = ("With `format=csv`: UTF-8, comma-separated, a header row of the JSON field names ({columns}) "
       "and a row per item; codes as in JSON, a list joined by `|`, an object as its JSON text. "
       "Paged by `limit` and `offset` like the JSON.")

IF_NONE_MATCH = {
    "name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
    "description": "An ETag received before: 304 Not Modified while the snapshot is the same.",
}


@cache
def _document(operations, prefix: str) -> dict[str, Any]:
    schemas, definitions = _response_schemas(operations)
    paths: dict[str, Any] = {}
    for op in operations:
        parameters = []
        if op.path_parameters is not None:
            parameters += _query_parameters(op.path_parameters, "path")
        parameters += _query_parameters(op.parameters, "query")
        parameters.append(IF_NONE_MATCH)
        content = {"application/json": {"schema": schemas[op.operation_id]}}
        if op.item is not None:  # a list: also as CSV (`format=csv`), a row per item
            content["text/csv"] = {"schema": {"type": "string", "description": CSV.format(
                columns=", ".join(op.item.model_fields))}}
        responses: dict[str, Any] = {
            "200": {"description": op.summary, "headers": _header_refs(), "content": content},
            "304": {"description": "Not modified: the snapshot named in If-None-Match is still published.",
                    "headers": _header_refs()},
        }
        for status in sorted({*op.errors, 500, 503}):
            responses[str(status)] = {"$ref": f"#/components/responses/{ERRORS[status][0]}"}
        paths[prefix + op.path] = {"get": {
            "operationId": op.operation_id, "summary": op.summary, "description": op.description,
            "tags": list(op.tags), "parameters": parameters, "responses": responses,
        }}
    paths[prefix + "/openapi.json"] = {"get": {
        "operationId": "getOpenAPI", "summary": "This description", "tags": ["meta"],
        "parameters": [IF_NONE_MATCH],
        "responses": {
            "200": {"description": "The OpenAPI 3.1 description of the API.",
                    "content": {"application/json": {"schema": {"type": "object"}}}},
            "304": {"description": "Not modified."},
        },
    }}
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Kezek API",
            "version": "1",
            "summary": "Kazakhstan's kindergarten queue, public and checkable.",
            "description": (
                "Read-only JSON over the published snapshot. Every answer carries the snapshot "
                "id in `X-Kezek-Snapshot` and `ETag`, and may be cached for a minute and "
                "revalidated until the next publication. Parameters: an empty free-text one "
                "(a name, region, id) is absent; an unknown or malformed one, or an empty one "
                "of another kind (a date, number, choice), is a 400, and so is a date after "
                "the snapshot's date (`as_of`): the published data describe the queue up to "
                "that day. A region, locality, district, language or ownership the publication "
                "does not hold is a 400 whose `allowed` lists the values it does; a value it holds "
                "with no matching rows gives an empty result. The list routes answer CSV with "
                "`format=csv`."
            ),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "paths": paths,
        "components": {
            "schemas": definitions,
            "responses": {
                key: {"description": text, "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}}}
                for key, text in ERRORS.values()
            },
            "headers": {
                key: {"description": text, "schema": {"type": "string"}} for key, text in HEADERS.values()
            },
        },
    }


def document(operations, prefix: str = "/api/v1") -> dict[str, Any]:
    """The OpenAPI document of `operations` mounted under `prefix`."""
    return _document(tuple(operations), prefix)


@cache
def _etag(operations, prefix: str) -> str:
    text = json.dumps(_document(operations, prefix), sort_keys=True, ensure_ascii=False)
    return f'W/"openapi-{hashlib.sha256(text.encode()).hexdigest()[:16]}"'


def etag(operations, prefix: str = "/api/v1") -> str:
    return _etag(tuple(operations), prefix)
