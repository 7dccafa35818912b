"""The OpenAPI 3.1 document of the API, served at /api/v1/openapi.json. Its schemas are
JSON Schema 2020-12; the tests validate real responses against them."""

from flask import Blueprint

from api.params import DEFAULT_LIMIT, MAX_ID, MAX_LIMIT, MAX_TEXT

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")


@bp.get("/openapi.json")
def openapi_json():
    return document()


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _header(name):
    return {"$ref": f"#/components/headers/{name}"}


def _json(description, schema_name, example=None, headers=()):
    content = {"schema": _ref(schema_name)}
    if example is not None:
        content["example"] = example
    return {
        "description": description,
        "headers": {name: _header(name) for name in ("X-Request-ID", *headers)},
        "content": {"application/json": content},
    }


def _error(description, example_message, status):
    return _json(description, "Error", {"error": {"status": status, "message": example_message}})


UNAVAILABLE = _error(
    "The warehouse is unreachable (answered within 2 seconds) or the marts are not built.",
    "the warehouse is unavailable; try again shortly",
    503,
)
INTERNAL = _error(
    "Unexpected error. The body says nothing of the cause; the server's log has it under the "
    "request id of the X-Request-ID header.",
    "internal error; quote request id 4f1c2e7b9a0d4e55b6a7c8d9e0f1a2b3 when reporting it",
    500,
)
DEFAULT = _error(
    "Any other error: 405 for a method other than GET, HEAD and OPTIONS (with an Allow "
    "header); 404 for a path with an empty segment (//); what the server rejects before "
    "reading the request: 400 (malformed), 414 (a request line over 4094 bytes), 431 (a "
    "header field over 8190 bytes, or over 100 fields).",
    "method POST is not allowed on /api/v1/channels (allowed: GET, HEAD, OPTIONS)",
    405,
)
BAD_CUSTOMER_ID = _error(
    f"The customer id is not a whole number from 1 to {MAX_ID} (abc, -1, 0, 1.5, too large).",
    "customer id must be a positive whole number, not 'abc'",
    400,
)
CUSTOMER_NOT_FOUND = _error(
    "No sheet mentions this customer id (it is not in dim_customers).",
    "customer 999 not found",
    404,
)


def _operation(operation_id, summary, description, responses, parameters=(), tags=("api",)):
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "description": description,
            "tags": list(tags),
            "parameters": list(parameters),
            "responses": {**responses, "500": INTERNAL, "default": DEFAULT},
        }
    }


CUSTOMER_ID = {
    "name": "customer_id",
    "in": "path",
    "required": True,
    "description": "The customer's id: a whole number from 1 to 2^63-1.",
    "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID},
    "example": 1,
}
TOPIC = {
    "name": "topic",
    "in": "query",
    "required": False,
    "description": "Count only this topic (a topic of /api/v1/topics, e.g. Sand or Unknown). "
    "A topic that does not exist is a 404 naming it; an empty value is a 400.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
    "example": "Sand",
}
TOPIC_NOT_FOUND = "A topic filter names a topic that does not exist."


def _limit(what):
    return {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": f"{what} per page, 1 to {MAX_LIMIT}.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    }


CURSOR = {
    "name": "cursor",
    "in": "query",
    "required": False,
    "description": "page.next_cursor of the previous page; absent for the first.",
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}
BAD_PAGE = _error(
    "A bad limit or cursor.",
    f"limit must be a whole number from 1 to {MAX_LIMIT}, not '501'",
    400,
)

SCHEMAS = {
    "Error": {
        "description": "Every error (except the legacy stats 404).",
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "message"],
                "additionalProperties": False,
                "properties": {
                    "status": {"type": "integer", "minimum": 400, "maximum": 599},
                    "message": {"type": "string", "minLength": 1},
                },
            }
        },
    },
    "ChannelCounts": {
        "description": "Interactions per channel: every channel of /api/v1/channels, in "
        "display order, zero-filled.",
        "type": "object",
        "additionalProperties": {"type": "integer", "minimum": 0},
        "example": {"Email": 1, "Call": 0, "Bird": 0},
    },
    "CustomerInteractions": {
        "type": "object",
        "required": ["data"],
        "additionalProperties": False,
        "properties": {
            "data": {
                "type": "object",
                "required": ["customer_id", "interactions"],
                "additionalProperties": False,
                "properties": {
                    "customer_id": {"type": "integer", "minimum": 1},
                    "interactions": _ref("ChannelCounts"),
                },
            }
        },
    },
    "CustomerTopics": {
        "type": "object",
        "required": ["data"],
        "additionalProperties": False,
        "properties": {
            "data": {
                "type": "object",
                "required": ["customer_id", "topics"],
                "additionalProperties": False,
                "properties": {
                    "customer_id": {"type": "integer", "minimum": 1},
                    "topics": {
                        "description": "Each topic the customer talked about (known topics "
                        "by name, then 'Unknown'); empty when the customer has no interaction.",
                        "type": "object",
                        "additionalProperties": _ref("ChannelCounts"),
                    },
                },
            }
        },
    },
    "CustomerTypeInteractions": {
        "type": "object",
        "required": ["data"],
        "additionalProperties": False,
        "properties": {
            "data": {
                "type": "object",
                "required": ["customer_types"],
                "additionalProperties": False,
                "properties": {
                    "customer_types": {
                        "description": "Every customer type, by name, 'Unknown' included "
                        "(customers missing from the Customers sheet).",
                        "type": "object",
                        "additionalProperties": _ref("ChannelCounts"),
                    }
                },
            }
        },
    },
    "Customer": {
        "type": "object",
        "required": [
            "customer_id",
            "occupation",
            "customer_type",
            "in_customer_sheet",
            "interaction_count",
        ],
        "additionalProperties": False,
        "properties": {
            "customer_id": {"type": "integer", "minimum": 1},
            "occupation": {"type": "string", "description": "'Unknown' when blank or unlisted."},
            "customer_type": {"type": "string", "description": "'Unknown' when unlisted."},
            "in_customer_sheet": {
                "type": "boolean",
                "description": "False for a customer with interactions who is missing from "
                "the Customers sheet.",
            },
            "interaction_count": {"type": "integer", "minimum": 0},
        },
    },
    "CustomerPage": {
        "type": "object",
        "required": ["data", "page"],
        "additionalProperties": False,
        "properties": {
            "data": {"type": "array", "items": _ref("Customer")},
            "page": _ref("Page"),
        },
    },
    "Page": {
        "type": "object",
        "required": ["limit", "next_cursor", "next"],
        "additionalProperties": False,
        "properties": {
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            "next_cursor": {
                "description": "Pass as ?cursor= for the next page; null on the last.",
                "type": ["string", "null"],
            },
            "next": {
                "description": "The next page's URL (same limit, and q for customers); null "
                "on the last page.",
                "type": ["string", "null"],
            },
        },
    },
    "LegacyRowCount": {
        "type": "object",
        "required": ["message", "rows"],
        "additionalProperties": False,
        "properties": {
            "message": {"const": "Number of Rows"},
            "rows": {"type": "integer", "minimum": 0},
        },
    },
    "LegacyNotFound": {
        "type": "object",
        "required": ["message"],
        "additionalProperties": False,
        "properties": {"message": {"const": "Table name not found"}},
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "additionalProperties": False,
        "properties": {"status": {"const": "ok"}},
    },
    "Ready": {
        "type": "object",
        "required": ["status", "warehouse", "built_at", "version"],
        "additionalProperties": False,
        "properties": {
            "status": {"const": "ready"},
            "warehouse": {"enum": ["duckdb", "postgres"]},
            "built_at": {
                "description": "When the last successful build finished (UTC).",
                "type": "string",
                "format": "date-time",
            },
            "version": {
                "description": "The version of the data that build made live (0 for a "
                "development build, a plain dbt build); the answers' X-Data-Version.",
                "type": "integer",
                "minimum": 0,
            },
        },
    },
    "Version": {
        "description": "One kept version of the data: an import (or the sample seeds' first "
        "build), with the figures it was built with.",
        "type": "object",
        "required": [
            "version",
            "imported_at",
            "file",
            "sha256",
            "interactions_counted",
            "rows_quarantined",
            "is_live",
        ],
        "additionalProperties": False,
        "properties": {
            "version": {"type": "integer", "minimum": 1},
            "imported_at": {
                "description": "When the version was imported (UTC, to the second).",
                "type": "string",
                "format": "date-time",
            },
            "file": {
                "description": "The imported workbook's file name ('seeds/' for the sample).",
                "type": "string",
            },
            "sha256": {
                "description": "SHA-256 of the imported file, hex.",
                "type": "string",
                "pattern": "^[0-9a-f]{64}$",
            },
            "interactions_counted": {
                "description": "Interactions counted in that version (null if unknown).",
                "type": ["integer", "null"],
                "minimum": 0,
            },
            "rows_quarantined": {
                "description": "Rows quarantined in that version, all sheets (null if unknown).",
                "type": ["integer", "null"],
                "minimum": 0,
            },
            "is_live": {
                "description": "True for the version the API answers from (X-Data-Version).",
                "type": "boolean",
            },
        },
    },
    "VersionPage": {
        "type": "object",
        "required": ["data", "page"],
        "additionalProperties": False,
        "properties": {
            "data": {"type": "array", "items": _ref("Version")},
            "page": _ref("Page"),
        },
    },
    "DataQuality": {
        "type": "object",
        "required": ["data"],
        "additionalProperties": False,
        "properties": {
            "data": {
                "type": "object",
                "required": [
                    "built_at",
                    "sheets",
                    "rows_quarantined_by_reason",
                    "interactions_without_topic",
                    "customers_not_in_sheet",
                ],
                "additionalProperties": False,
                "properties": {
                    "built_at": {"type": "string", "format": "date-time"},
                    "sheets": {
                        "description": "Per sheet: rows landed = rows counted + rows quarantined.",
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": [
                                "sheet",
                                "rows_landed",
                                "rows_counted",
                                "rows_quarantined",
                            ],
                            "additionalProperties": False,
                            "properties": {
                                "sheet": {"enum": ["customers", "interactions", "products"]},
                                "rows_landed": {"type": "integer", "minimum": 0},
                                "rows_counted": {"type": "integer", "minimum": 0},
                                "rows_quarantined": {"type": "integer", "minimum": 0},
                            },
                        },
                    },
                    "rows_quarantined_by_reason": {
                        "description": "Quarantined rows per reason (empty when none).",
                        "type": "object",
                        "additionalProperties": {"type": "integer", "minimum": 1},
                    },
                    "interactions_without_topic": {"type": "integer", "minimum": 0},
                    "customers_not_in_sheet": {"type": "integer", "minimum": 0},
                },
            }
        },
    },
    "Channels": {
        "type": "object",
        "required": ["data"],
        "additionalProperties": False,
        "properties": {
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["channel", "display_order"],
                    "additionalProperties": False,
                    "properties": {
                        "channel": {"type": "string"},
                        "display_order": {"type": "integer", "minimum": 1},
                    },
                },
            }
        },
    },
    "Topics": {
        "type": "object",
        "required": ["data"],
        "additionalProperties": False,
        "properties": {
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["topic", "is_unknown", "month_count"],
                    "additionalProperties": False,
                    "properties": {
                        "topic": {"type": "string"},
                        "is_unknown": {
                            "type": "boolean",
                            "description": "True for 'Unknown' (a month with no product).",
                        },
                        "month_count": {"type": "integer", "minimum": 0},
                    },
                },
            }
        },
    },
    "OpenApiDocument": {"type": "object", "required": ["openapi", "info", "paths"]},
}

PATHS = {
    "/api/v1/interactions/{customer_id}": _operation(
        "getCustomerInteractions",
        "A customer's interactions per channel",
        "How many times the customer talked to us on each channel (every channel, in display "
        "order, zero-filled), optionally about one topic only.",
        {
            "200": _json(
                "The counts.",
                "CustomerInteractions",
                {"data": {"customer_id": 1, "interactions": {"Email": 1, "Call": 0, "Bird": 0}}},
            ),
            "400": BAD_CUSTOMER_ID,
            "404": _error(
                "No sheet mentions the customer (customer 999 not found), or a topic filter "
                "names a topic that does not exist (topic 'Nope' not found).",
                "customer 999 not found",
                404,
            ),
            "503": UNAVAILABLE,
        },
        [CUSTOMER_ID, TOPIC],
    ),
    "/api/v1/interactions/{customer_id}/topics": _operation(
        "getCustomerInteractionsByTopic",
        "A customer's interactions per topic per channel",
        "Per topic the customer talked about, the same channel object.",
        {
            "200": _json(
                "The counts per topic.",
                "CustomerTopics",
                {
                    "data": {
                        "customer_id": 1,
                        "topics": {"Unknown": {"Email": 1, "Call": 0, "Bird": 0}},
                    }
                },
            ),
            "400": BAD_CUSTOMER_ID,
            "404": CUSTOMER_NOT_FOUND,
            "503": UNAVAILABLE,
        },
        [CUSTOMER_ID],
    ),
    "/api/v1/interactions/by-customer-type": _operation(
        "getInteractionsByCustomerType",
        "Interactions per customer type per channel",
        "Per customer type ('Unknown' included), the channel object; optionally one topic only.",
        {
            "200": _json(
                "The counts per customer type.",
                "CustomerTypeInteractions",
                {
                    "data": {
                        "customer_types": {
                            "Blue": {"Email": 1, "Call": 0, "Bird": 0},
                            "Orange": {"Email": 0, "Call": 0, "Bird": 0},
                            "Red": {"Email": 1, "Call": 0, "Bird": 0},
                            "Unknown": {"Email": 0, "Call": 1, "Bird": 1},
                        }
                    }
                },
            ),
            "400": _error("An empty topic.", "topic must not be empty when given", 400),
            "404": _error(TOPIC_NOT_FOUND, "topic 'Nope' not found", 404),
            "503": UNAVAILABLE,
        },
        [TOPIC],
    ),
    "/api/v1/customers": _operation(
        "listCustomers",
        "Customers, a page at a time",
        f"Customers by id. limit is 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}): a larger "
        "limit is a 400, not clamped. Follow page.next (or pass page.next_cursor as cursor) "
        "for the next page.",
        {
            "200": _json(
                "A page of customers.",
                "CustomerPage",
                {
                    "data": [
                        {
                            "customer_id": 1,
                            "occupation": "Jedi",
                            "customer_type": "Red",
                            "in_customer_sheet": True,
                            "interaction_count": 1,
                        }
                    ],
                    "page": {
                        "limit": 1,
                        "next_cursor": "1",
                        "next": "/api/v1/customers?limit=1&cursor=1",
                    },
                },
            ),
            "400": _error(
                "A bad limit, cursor or q.",
                f"limit must be a whole number from 1 to {MAX_LIMIT}, not '501'",
                400,
            ),
            "503": UNAVAILABLE,
        },
        [
            _limit("Customers"),
            CURSOR,
            {
                "name": "q",
                "in": "query",
                "required": False,
                "description": "Only the customer with this exact id, and the customers whose "
                "occupation contains this text (case-insensitive).",
                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
                "example": "jedi",
            },
        ],
    ),
    "/api/v1/versions": _operation(
        "listVersions",
        "The kept versions of the data, newest first",
        f"Every kept version (each import, and the sample seeds' first build), newest first, "
        "with the file it came from and the figures it was built with; is_live marks the "
        f"version the answers come from (their X-Data-Version). limit is 1 to {MAX_LIMIT} "
        f"(default {DEFAULT_LIMIT}): a larger limit is a 400, not clamped. Follow page.next "
        "(or pass page.next_cursor as cursor) for the next page: the versions below it.",
        {
            "200": _json(
                "A page of versions.",
                "VersionPage",
                {
                    "data": [
                        {
                            "version": 1,
                            "imported_at": "2025-01-31T08:59:52Z",
                            "file": "seeds/",
                            "sha256": "a45975915327ff52399e1c031b435750"
                            "d954fb26d0d94d90807e7e0f0ce84420",
                            "interactions_counted": 4,
                            "rows_quarantined": 0,
                            "is_live": True,
                        }
                    ],
                    "page": {"limit": 50, "next_cursor": None, "next": None},
                },
            ),
            "400": BAD_PAGE,
            "503": UNAVAILABLE,
        },
        [_limit("Versions"), CURSOR],
    ),
    "/api/v1/data-quality": _operation(
        "getDataQuality",
        "What the last build landed, counted and quarantined",
        "Per sheet rows landed, counted and quarantined; quarantined rows per reason; "
        "interactions without a topic and customers missing from the Customers sheet.",
        {
            "200": _json(
                "The figures of the last successful build.",
                "DataQuality",
                {
                    "data": {
                        "built_at": "2025-01-31T09:00:00Z",
                        "sheets": [
                            {
                                "sheet": "customers",
                                "rows_landed": 5,
                                "rows_counted": 5,
                                "rows_quarantined": 0,
                            },
                            {
                                "sheet": "interactions",
                                "rows_landed": 4,
                                "rows_counted": 4,
                                "rows_quarantined": 0,
                            },
                            {
                                "sheet": "products",
                                "rows_landed": 3,
                                "rows_counted": 3,
                                "rows_quarantined": 0,
                            },
                        ],
                        "rows_quarantined_by_reason": {},
                        "interactions_without_topic": 4,
                        "customers_not_in_sheet": 1,
                    }
                },
            ),
            "503": UNAVAILABLE,
        },
    ),
    "/api/v1/channels": _operation(
        "listChannels",
        "The channels, in display order",
        "The canonical channels (dim_channels), in the order every answer lists them.",
        {
            "200": _json(
                "The channels.",
                "Channels",
                {
                    "data": [
                        {"channel": "Email", "display_order": 1},
                        {"channel": "Call", "display_order": 2},
                        {"channel": "Bird", "display_order": 3},
                    ]
                },
            ),
            "503": UNAVAILABLE,
        },
    ),
    "/api/v1/topics": _operation(
        "listTopics",
        "The topics",
        "Every product of the Products of discussion sheet by name, then 'Unknown'.",
        {
            "200": _json(
                "The topics.",
                "Topics",
                {
                    "data": [
                        {"topic": "Orange", "is_unknown": False, "month_count": 1},
                        {"topic": "Sand", "is_unknown": False, "month_count": 2},
                        {"topic": "Unknown", "is_unknown": True, "month_count": 0},
                    ]
                },
            ),
            "503": UNAVAILABLE,
        },
    ),
    "/api/v1/stats/{table_name}": _operation(
        "getLegacyStats",
        "Legacy: rows landed from one sheet",
        "Kept for the callers of the old API, with its exact bodies: the rows landed from the "
        "customers, interactions or products sheet.",
        {
            "200": _json(
                "The sheet's landed rows.",
                "LegacyRowCount",
                {"message": "Number of Rows", "rows": 5},
            ),
            "404": _json(
                "Any other name (this legacy body, not the Error object).",
                "LegacyNotFound",
                {"message": "Table name not found"},
            ),
            "503": UNAVAILABLE,
        },
        [
            {
                "name": "table_name",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "example": "customers",
                "description": "customers, interactions or products.",
            }
        ],
        tags=("legacy",),
    ),
    "/health": _operation(
        "getHealth",
        "The process answers",
        "Always 200 while the process runs; says nothing of the warehouse.",
        {"200": _json("Up.", "Health", {"status": "ok"})},
        tags=("operations",),
    ),
    "/ready": _operation(
        "getReady",
        "The warehouse answers and the marts are there",
        "200 with the time of the last successful build and the version of the data it made "
        "live; 503 when the warehouse is unreachable or not built.",
        {
            "200": _json(
                "Ready.",
                "Ready",
                {
                    "status": "ready",
                    "warehouse": "duckdb",
                    "built_at": "2025-01-31T09:00:00Z",
                    "version": 1,
                },
                headers=("X-Data-Version",),
            ),
            "503": UNAVAILABLE,
        },
        tags=("operations",),
    ),
    "/api/v1/openapi.json": _operation(
        "getOpenApi",
        "This document",
        "The OpenAPI 3.1 document of the API.",
        {"200": _json("The document.", "OpenApiDocument")},
        tags=("operations",),
    ),
}


OPENAPI_PATH = "/api/v1/openapi.json"
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
NOT_MODIFIED = {
    "description": "Not Modified: If-None-Match names the ETag this answer carries (the data "
    "has not changed since): no body. Only an answer that would have been a 200 can be a 304, "
    "and only with a valid API key when keys are on (the 401 comes first).",
    "headers": {name: _header(name) for name in ("X-Request-ID", *VERSION_HEADERS)},
}


def _versioned(paths: dict) -> dict:
    """The operations answered from the data (/api/ but this document): the If-None-Match
    parameter, X-Data-Version, ETag and Cache-Control on the 200, and the 304."""
    result = {}
    for path, item in paths.items():
        if path.startswith("/api/") and path != OPENAPI_PATH:
            operation = item["get"]
            responses = dict(operation["responses"])
            ok = responses.pop("200")
            ok = {**ok, "headers": {**ok["headers"], **{n: _header(n) for n in VERSION_HEADERS}}}
            item = {
                "get": {
                    **operation,
                    "parameters": [*operation["parameters"], IF_NONE_MATCH],
                    "responses": {"200": ok, "304": NOT_MODIFIED, **responses},
                }
            }
        result[path] = item
    return result


UNAUTHORIZED = _error(
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


def _protected(paths: dict) -> dict:
    """The /api/ operations, with the API-key security requirement and its 401 answer."""
    result = {}
    for path, item in paths.items():
        if path.startswith("/api/"):
            operation = item["get"]
            item = {
                "get": {
                    **operation,
                    "security": SECURITY,
                    "responses": {"401": UNAUTHORIZED, **operation["responses"]},
                }
            }
        result[path] = item
    return result


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Customer interactions API",
            "version": "1.0.0",
            "description": "Read-only answers from the marts: how many times each customer "
            "talked to us on each channel, about each topic. Every error is JSON "
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
            "is served from the API's origin); with API keys on, /api/ needs the key for them "
            "as for GET. Any other method is a 405 with the same Allow header.",
        },
        "tags": [
            {"name": "api", "description": "Answers from the marts."},
            {"name": "legacy", "description": "Kept for the callers of the old API."},
            {"name": "operations", "description": "Health, readiness, this document."},
        ],
        "paths": _protected(_versioned(PATHS)),
        "components": {
            "securitySchemes": SECURITY_SCHEMES,
            "schemas": SCHEMAS,
            "headers": {
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
            },
        },
    }
