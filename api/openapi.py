"""The OpenAPI 3.1 document of the API, served at /api/v1/openapi.json, generated from the
endpoints' declarations (api/endpoints.py): each route's parameters from its pydantic model
(api/params.py), its responses' bodies from the models of api/schemas.py (JSON Schema
2020-12). What every operation shares (the 500, the default error, X-Request-ID; on /api/ the
API-key requirement and its 401; on the answers read from the data If-None-Match, the version
headers and the 304) is added here, once. The tests validate real responses against it."""

import functools

from flask import Blueprint
from pydantic.json_schema import models_json_schema

# The routes' modules declare their endpoints on import.
from api import (  # noqa: F401
    customers,
    data_quality,
    exports,
    health,
    imports,
    interactions,
    quarantine,
    reference,
    schemas,
    versions,
)
from api.endpoints import ADMIN_ONLY, ENDPOINTS, Answer, endpoint, error
from core import serving

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")
OPENAPI_PATH = "/api/v1/openapi.json"
SCHEMA_REF = "#/components/schemas/{model}"


@endpoint(
    bp,
    "/openapi.json",
    operation_id="getOpenApi",
    summary="This document",
    description="The OpenAPI 3.1 document of the API.",
    responses={200: Answer("The document.", schemas.OpenApiDocument)},
    tags=("operations",),
)
def openapi_json():
    return document()


BAD_FORMAT = error(
    "A format other than json, csv or xlsx.", "format must be json, csv or xlsx, not 'pdf'", 400
)
INTERNAL = error(
    "Unexpected error. The body says nothing of the cause; the server's log has it under the "
    "request id of the X-Request-ID header.",
    "internal error; quote request id 4f1c2e7b9a0d4e55b6a7c8d9e0f1a2b3 when reporting it",
    500,
)
DEFAULT = error(
    "Any other error: 405 for a method the path does not answer (with an Allow header: "
    "GET, HEAD, OPTIONS on the read paths, OPTIONS, POST on the admin ones); 404 for a "
    "path with an empty segment (//); 421 for a request to a host name not of this machine "
    "while API keys are off (DNS rebinding). Every request that reaches the app is answered in "
    "JSON with an X-Request-ID. A request the server (Granian) rejects before the app reads "
    "it gets the server's status with an empty body and no JSON: 400 (not HTTP/1.1), 431 "
    f"(over {serving.MAX_HEADER_FIELDS} header fields), 414 or 431 (request line and "
    f"headers far over {serving.HTTP1_BUFFER_BYTES:,} bytes together; up to that they always "
    "reach the app). A browser's request never comes near these limits.",
    "method POST is not allowed on /api/v1/channels (allowed: GET, HEAD, OPTIONS)",
    405,
)
# On the answers read from the data (every 200 of /api/ but this document): the build they
# come from (api/data_version.py).
VERSION_HEADERS = ("X-Data-Version", "ETag", "Cache-Control")
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETag of an answer already held: while it is still the live build's, "
    "the answer is a 304 with no body. * matches any build.",
    "schema": {"type": "string"},
    "example": '"v1-1738314000123456"',
}
UNAUTHORIZED = error(
    "API keys are enabled (API_KEY_HASHES) and the request has no valid key; the response "
    "carries a WWW-Authenticate header.",
    "an API key is required: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
    401,
)
# When API_KEY_HASHES is set, every /api/ route needs one of these (either header works).
SECURITY = [{"bearerKey": []}, {"apiKeyHeader": []}]
SECURITY_SCHEMES = {
    "bearerKey": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <key>"},
    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
}


def _headers(names):
    return {name: {"$ref": f"#/components/headers/{name}"} for name in ("X-Request-ID", *names)}


# ?format=csv or xlsx (api/exports.py): the 200 of an endpoint declared with a table.
DOWNLOADS = {
    exports.CSV: {
        "schema": {"type": "string"},
        "example": "customer_id,Email,Call,Bird\r\n1,1,0,0\r\n",
    },
    exports.XLSX: {"schema": {"type": "string", "contentMediaType": exports.XLSX}},
}


def _response(answer: Answer, schema_refs, extra_headers=(), downloads=False) -> dict:
    if answer.model is None:  # a file
        return {
            "description": answer.description,
            "headers": _headers((*answer.headers, *extra_headers)),
            "content": {
                answer.media_type: {
                    "schema": {"type": "string", "contentMediaType": answer.media_type}
                }
            },
        }
    content = {"schema": schema_refs[answer.model]}
    if answer.example is not None:
        content["example"] = answer.example
    return {
        "description": answer.description,
        "headers": _headers((*answer.headers, *extra_headers)),
        "content": {"application/json": content, **(DOWNLOADS if downloads else {})},
    }


def _parameters(declared) -> list[dict]:
    """The OpenAPI parameters of an endpoint, from its params model's JSON Schema: path
    parameters by the route's names, the others in the query. An absent query parameter is
    its default (None: not given), so its schema is the given value's."""
    if declared.params is None:
        return []
    model_schema = declared.params.model_json_schema()
    required = set(model_schema.get("required", ()))
    parameters = []
    for name, schema in model_schema["properties"].items():
        schema = {key: value for key, value in schema.items() if key != "title"}
        description = schema.pop("description", None)
        if schema.get("default", ...) is None:
            del schema["default"]
            (given,) = [option for option in schema.pop("anyOf") if option != {"type": "null"}]
            schema = {**given, **schema}
        parameter = {
            "name": name,
            "in": "path" if name in declared.path_names else "query",
            "required": name in required,
            "schema": schema,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _operation(declared, schema_refs) -> dict:
    """The operation of one declared endpoint, with what its kind of path shares."""
    is_api = declared.path.startswith("/api/")
    # answered from the data: the GETs of /api/ but this document and a preview's file (admin)
    versioned = (
        is_api and declared.path != OPENAPI_PATH and declared.method == "GET" and not declared.admin
    )
    responses = {}
    if is_api:
        responses["401"] = _response(UNAUTHORIZED, schema_refs)
    if declared.admin:
        responses["403"] = _response(ADMIN_ONLY, schema_refs)
    for status, answer in declared.responses.items():
        if status == 200 and versioned:
            downloads = declared.table is not None
            responses["200"] = _response(answer, schema_refs, VERSION_HEADERS, downloads)
            responses["304"] = {
                "description": "Not Modified: If-None-Match names the ETag this answer carries "
                "(the data has not changed since): no body. Only an answer that would have been "
                "a 200 can be a 304, and only with a valid API key when keys are on (the 401 "
                "comes first).",
                "headers": _headers(VERSION_HEADERS),
            }
        else:
            responses[str(status)] = _response(answer, schema_refs)
    if declared.table is not None and "400" not in responses:
        responses["400"] = _response(BAD_FORMAT, schema_refs)
    responses["500"] = _response(INTERNAL, schema_refs)
    responses["default"] = _response(DEFAULT, schema_refs)
    operation = {
        "operationId": declared.operation_id,
        "summary": declared.summary,
        "description": declared.description,
        "tags": list(declared.tags),
        "parameters": [*_parameters(declared), *([IF_NONE_MATCH] if versioned else [])],
        "responses": responses,
    }
    if declared.body is not None:
        operation["requestBody"] = declared.body
    if is_api:
        operation["security"] = SECURITY
    return operation


INFO = {
    "title": "Customer interactions API",
    "version": "1.0.0",
    "description": "Answers from the marts: how many times each customer "
    "talked to us on each channel, about each topic; and, with an admin key, the "
    "POST paths that change the data (upload a workbook and preview it, publish it, roll "
    "back to a kept version). Every error is JSON "
    '{"error": {"status": N, "message": "..."}} (the legacy stats 404 excepted); '
    "every response carries an X-Request-ID header. Every answer read from the data "
    "(the 200s and 304s of /api/ but this document, the 404s that say a customer or "
    "topic does not exist, /ready) carries X-Data-Version, the version of the data it "
    "comes from (/api/v1/versions lists them); answers decided without reading it (a "
    "bad parameter, 401, 503) carry none. The 200s of /api/ carry an ETag that "
    "changes with every build (a rebuild of the same version too): send it back as "
    "If-None-Match, and while the data has not changed the answer is a 304 with no "
    "body. Every path also answers HEAD (the GET's status and headers, no body) and "
    "OPTIONS (204, no body, Allow: GET, HEAD, OPTIONS; no CORS headers: the website "
    "is served from the API's origin); the POST and DELETE paths answer OPTIONS with "
    "Allow: OPTIONS and their method. With API keys on, /api/ needs the key for them as for "
    "GET. Any other method is a 405 with the same Allow header.",
}
HEADERS = {
    "X-Request-ID": {
        "description": "The request's id (the caller's X-Request-ID when it is "
        "1-64 characters of A-Z a-z 0-9 . _ -, else a new one); the server's log "
        "names it.",
        "required": True,
        "schema": {"type": "string"},
    },
    "X-Data-Version": {
        "description": "The version of the data the answer comes from: the live "
        "version (marts.build_info.data_version; 0 for a development build, a "
        "plain dbt build). Never newer than the data in the body.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
        "example": 1,
    },
    "ETag": {
        "description": "The build the answer comes from, as an opaque tag: it "
        "changes with the live version and with every build (currently "
        '"v<version>-<built_at in microseconds since 1970>"). Send it back as '
        "If-None-Match.",
        "required": True,
        "schema": {"type": "string"},
        "example": '"v1-1738314000123456"',
    },
    "Cache-Control": {
        "description": "no-cache: a cache may keep the answer but must ask again "
        "(If-None-Match) before each use.",
        "required": True,
        "schema": {"const": "no-cache"},
    },
}


def _paths(schema_refs) -> dict:
    paths = {}
    for declared in ENDPOINTS:
        operation = _operation(declared, schema_refs)
        paths.setdefault(declared.path, {})[declared.method.lower()] = operation
    return paths


@functools.cache
def document() -> dict:
    models = {schemas.Error} | {
        answer.model
        for declared in ENDPOINTS
        for answer in declared.responses.values()
        if answer.model is not None
    }
    refs, definitions = models_json_schema(
        [(model, "serialization") for model in sorted(models, key=lambda model: model.__name__)],
        ref_template=SCHEMA_REF,
    )
    schema_refs = {model: ref for (model, _mode), ref in refs.items()}
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": INFO,
        "tags": [
            {"name": "api", "description": "Answers from the marts."},
            {"name": "legacy", "description": "Kept for the callers of the old API."},
            {"name": "operations", "description": "Health, readiness, this document."},
        ],
        "paths": _paths(schema_refs),
        "components": {
            "securitySchemes": SECURITY_SCHEMES,
            "schemas": definitions["$defs"],
            "headers": HEADERS,
        },
    }
