"""The OpenAPI 3.1 document: it describes every route, its schemas are valid JSON Schema
2020-12, its examples follow them, and real responses on both warehouses conform to it (their
status, body and required headers; a 304 has no body)."""

import re

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from api import queries
from api.openapi import document

DOC = document()
BASE = "urn:interactions-openapi"
REGISTRY = Registry().with_resource(
    BASE, Resource.from_contents(DOC, default_specification=DRAFT202012)
)
API_ROUTE = re.compile(r"^/(api/|health$|ready$)")
DEFAULT_STATUSES = {405}


def _pointer(*parts):
    return "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def template_for(path):
    """The documented path template a request path matches (fixed paths first, as routing)."""
    if path in DOC["paths"]:
        return path
    for template in DOC["paths"]:
        pattern = re.sub(r"\{[^/]+\}", "[^/]+", template)
        if "{" in template and re.fullmatch(pattern, path):
            return template
    raise AssertionError(f"{path} matches no path of the OpenAPI document")


def header_definition(definition):
    """A response's header object, its $ref followed."""
    if "$ref" in definition:
        return DOC["components"]["headers"][definition["$ref"].rsplit("/", 1)[1]]
    return definition


def assert_documented_headers(response, documented, where):
    """Every header the document says the response carries is there, and valid."""
    for name, definition in documented.get("headers", {}).items():
        definition = header_definition(definition)
        value = response.headers.get(name)
        if value is None:
            assert not definition.get("required"), f"{where}: no {name} header"
            continue
        validator = Draft202012Validator(definition["schema"])
        typed = int(value) if definition["schema"].get("type") == "integer" else value
        errors = [error.message for error in validator.iter_errors(typed)]
        assert errors == [], f"{where}: {name}: {value!r}: {errors}"


def operation_method(template, request_method):
    """The documented operation an answer is checked against: the request's method (HEAD is
    GET's); a method the path does not answer (a 405) is checked against its first one."""
    method = "get" if request_method == "HEAD" else request_method.lower()
    item = DOC["paths"][template]
    return method if method in item else next(iter(item))


def assert_conforms(response, path):
    """The response's status is documented for the path (or is a 405, under `default`), it
    carries the headers documented as required, and its JSON body is valid against the
    documented schema (a 304 has none)."""
    template = template_for(path)
    method = operation_method(template, response.request.method)
    responses = DOC["paths"][template][method]["responses"]
    status = str(response.status_code)
    if status not in responses:
        # `default` covers a method other than GET, HEAD and OPTIONS, and a path with an
        # empty segment, which matches no documented path (what Granian rejects before the
        # app has no body: tests/test_http_edges.py). Any other status must be listed for
        # the path.
        assert response.status_code in DEFAULT_STATUSES, (
            f"{path}: status {status} is not documented for {template}"
        )
        status = "default"
    assert response.headers.get("X-Request-ID")
    assert_documented_headers(response, responses[status], f"{path} {response.status_code}")
    if status == "304":
        assert response.get_data() == b""
        assert "Content-Type" not in response.headers
        return
    if response.mimetype != "application/json":  # a download (?format=csv or xlsx)
        assert response.content_type in responses[status]["content"], (path, status)
        assert response.headers["Content-Disposition"].startswith("attachment; filename=")
        return
    schema_at = _pointer(
        "paths", template, method, "responses", status, "content", "application/json", "schema"
    )
    validator = Draft202012Validator({"$ref": f"{BASE}#/{schema_at}"}, registry=REGISTRY)
    errors = [error.message for error in validator.iter_errors(response.get_json())]
    assert errors == [], f"{path} {response.status_code}: {errors}"


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ADMIN_READS = {"/api/v1/imports/{preview_id}/quarantine.xlsx"}


def operations():
    """(template, method, operation) of every documented operation."""
    return [
        (template, method, operation)
        for template, item in DOC["paths"].items()
        for method, operation in item.items()
    ]


def test_document_is_openapi_3_1_with_valid_schemas():
    assert DOC["openapi"].startswith("3.1.")
    assert DOC["jsonSchemaDialect"] == "https://json-schema.org/draft/2020-12/schema"
    for schema in DOC["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for template, method, operation in operations():
        assert operation["operationId"] and operation["summary"], template
        declared = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
        assert declared == set(re.findall(r"\{([^}]+)\}", template)), template
        for status, response in operation["responses"].items():
            assert response["description"], (template, status)
            if status == "304":  # Not Modified: no body
                assert "content" not in response, (template, status)
            elif template.endswith(".xlsx") and status == "200":  # a file
                assert list(response["content"]) == [XLSX], (template, status)
            else:
                assert "application/json" in response["content"], (template, status)
            assert "X-Request-ID" in response["headers"], (template, status)
        versioned = (
            template.startswith("/api/")
            and template not in ("/api/v1/openapi.json", *ADMIN_READS)
            and method == "get"
        )
        assert ("304" in operation["responses"]) == versioned, template
        # A POST or a DELETE changes data, and a preview's fix-it workbook belongs to its
        # uploader: they need an admin key, and say so (403).
        admin = method in ("post", "delete") or template in ADMIN_READS
        assert ("403" in operation["responses"]) == admin, template
        names = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert names == (["If-None-Match"] if versioned else []), template
        if versioned:
            headers = operation["responses"]["200"]["headers"]
            assert {"X-Data-Version", "ETag", "Cache-Control"} <= set(headers), template
    for definition in DOC["components"]["headers"].values():
        Draft202012Validator.check_schema(definition["schema"])


def test_every_route_is_documented_and_every_documented_path_is_a_route(app):
    routes = {
        re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if API_ROUTE.match(rule.rule)
    }
    assert routes == set(DOC["paths"])


def test_examples_follow_their_schemas():
    checked = 0
    for template, method, operation in operations():
        for status, response in operation["responses"].items():
            media = response.get("content", {}).get("application/json", {})
            if "example" not in media:
                continue
            schema_at = _pointer(
                "paths", template, method, "responses", status, "content", "application/json"
            )
            validator = Draft202012Validator(
                {"$ref": f"{BASE}#/{schema_at}/schema"}, registry=REGISTRY
            )
            errors = [error.message for error in validator.iter_errors(media["example"])]
            assert errors == [], (template, status, errors)
            checked += 1
    assert checked >= 25


def test_served_document_is_the_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == DOC
    assert_conforms(response, "/api/v1/openapi.json")


SAMPLE_REQUESTS = [
    ("/api/v1/interactions/1", 200),
    ("/api/v1/interactions/4?topic=Sand", 200),
    ("/api/v1/interactions/abc", 400),
    ("/api/v1/interactions/999", 404),
    ("/api/v1/interactions/1?topic=Nope", 404),
    ("/api/v1/interactions/1/topics", 200),
    ("/api/v1/interactions/2/topics", 200),
    ("/api/v1/interactions/0/topics", 400),
    ("/api/v1/interactions/999/topics", 404),
    ("/api/v1/interactions/by-customer-type", 200),
    ("/api/v1/interactions/by-customer-type?topic=", 400),
    ("/api/v1/interactions/by-customer-type?topic=Nope", 404),
    ("/api/v1/customers", 200),
    ("/api/v1/customers?limit=2&q=a", 200),
    ("/api/v1/customers?limit=501", 400),
    ("/api/v1/versions", 200),
    ("/api/v1/versions?limit=1&cursor=2", 200),
    ("/api/v1/versions?cursor=0", 400),
    ("/api/v1/data-quality", 200),
    ("/api/v1/channels", 200),
    ("/api/v1/topics", 200),
    ("/api/v1/stats/customers", 200),
    ("/api/v1/stats/nope", 404),
    ("/health", 200),
    ("/ready", 200),
]


def test_real_responses_conform(sample, client):
    for url, status in SAMPLE_REQUESTS:
        response = client.get(url)
        assert response.status_code == status, url
        assert_conforms(response, url.split("?")[0])
    method = client.post("/api/v1/interactions/1")
    assert method.status_code == 405
    assert_conforms(method, "/api/v1/interactions/1")


def test_not_modified_responses_conform(sample, client):
    for url in ["/api/v1/interactions/1", "/api/v1/versions", "/api/v1/stats/customers"]:
        etag = client.get(url).headers["ETag"]
        for given in (etag, "*", f'"other", W/{etag}'):
            response = client.get(url, headers={"If-None-Match": given})
            assert response.status_code == 304, (url, given)
            assert_conforms(response, url)


def test_unexpected_error_conforms(sample, client, monkeypatch):
    monkeypatch.setattr(queries, "CHANNELS", "select channel from marts.dim_channels where")
    response = client.get("/api/v1/channels")
    assert response.status_code == 500
    assert_conforms(response, "/api/v1/channels")
    assert "where" not in response.get_data(as_text=True)


def test_unavailable_warehouse_responses_conform(client, monkeypatch, tmp_path):
    monkeypatch.setenv("WAREHOUSE", "duckdb")
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "missing.duckdb"))
    checked = 0
    for template, item in DOC["paths"].items():
        if "503" not in item.get("get", {}).get("responses", {}):
            continue
        path = template.replace("{customer_id}", "1").replace("{table_name}", "customers")
        response = client.get(path)
        assert response.status_code == 503, path
        assert_conforms(response, path)
        checked += 1
    assert checked == 14
