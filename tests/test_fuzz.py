"""Fuzzing the API against its OpenAPI document, with Hypothesis, on both warehouses.

For every documented operation, Hypothesis generates the path and query parameters (values
valid by the document's schemas, and any text at all), unknown query parameters and odd
headers. Every answer must be documented for its operation (its status, or `default`), be JSON
valid against the documented schema (none for a 304), carry an X-Request-ID and the other
headers documented as required, and never be a 500. The examples
are derandomized (the same in every run) and bounded: FUZZ_EXAMPLES per operation and
warehouse (default 60), a few seconds each.
"""

import os
import urllib.parse

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from api import create_app
from api.warehouse import close_reader
from tests.test_api_openapi import DOC, assert_conforms

# psycopg_pool's own threads call random() (a jitter on each new connection's lifetime) at
# any moment; the examples are derandomized, so that is no flakiness: not a failure here.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
    ":hypothesis.errors.HypothesisDeprecationWarning"
)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
OPERATIONS = sorted(template for template, item in DOC["paths"].items() if "get" in item)
# The admin paths, which change data (POST): fuzzed without changing anything (keys off).
ADMIN_OPERATIONS = sorted(template for template, item in DOC["paths"].items() if "post" in item)
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]

# Header values a client may send (HTTP header values are printable ASCII here).
printable = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
any_text = st.text(max_size=300)  # any Unicode but lone surrogates, which no URL can carry
numbers = st.integers(min_value=-(2**70), max_value=2**70).map(str)
# Characters that matter to SQL, LIKE patterns, URLs and C strings, NUL among them, alone
# or around a real value.
tricky = st.builds(
    lambda before, middle, after: before + middle + after,
    st.text(st.sampled_from(list("\x00'\"`;-%_\\*()= .é\u2028")), max_size=6),
    st.sampled_from(["", "1", "4", "customers", "Sand", "Unknown", "jedi"]),
    st.text(st.sampled_from(list("\x00'\";-%_\\ ")), max_size=6),
).filter(bool)


def from_schema(schema):
    """Values valid by a parameter's schema (as text)."""
    if schema.get("type") == "integer":
        low = schema.get("minimum", -(2**63))
        high = schema.get("maximum", 2**63 - 1)
        return st.integers(min_value=low, max_value=high).map(str)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True)
    return st.text(min_size=schema.get("minLength", 0), max_size=schema.get("maxLength", 300))


def parameter_value(parameter):
    """A value for one parameter: schema-valid, a documented example, a number, text made of
    characters that matter to SQL, or any text."""
    choices = [from_schema(parameter["schema"]), numbers, tricky, any_text]
    if "example" in parameter:
        choices.append(st.just(str(parameter["example"])))
    value = st.one_of(choices)
    if parameter["in"] == "path":
        # One path segment: a '/' would only ask for another route.
        value = value.filter(lambda text: text and "/" not in text)
    return value


@st.composite
def requests(draw, template, method="get"):
    operation = DOC["paths"][template][method]
    path = template
    query = []
    headers = draw(
        st.dictionaries(
            st.sampled_from(["X-Request-ID", "Accept", "Accept-Language", "If-None-Match"]),
            printable,
        )
    )
    for parameter in operation["parameters"]:
        if parameter["in"] == "path":
            value = draw(parameter_value(parameter))
            path = path.replace("{" + parameter["name"] + "}", value)
        elif parameter["in"] == "header":  # If-None-Match: any text, its example, or *
            if draw(st.booleans()):
                choices = [printable, st.just("*"), st.just(parameter["example"])]
                headers[parameter["name"]] = draw(st.one_of(choices))
        elif draw(st.booleans()):
            query.append((parameter["name"], draw(parameter_value(parameter))))
    extra = draw(st.lists(st.tuples(st.sampled_from(["x", "limit", "topic", "q"]), any_text)))
    return path, query + extra, headers


def url_of(path, query):
    segments = [urllib.parse.quote(segment, safe="") for segment in path.split("/")]
    url = "/".join(segments)
    if query:
        url += "?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
    return url


@pytest.mark.parametrize("template", OPERATIONS)
def test_every_operation_answers_as_documented(sample, client, template):
    assert client.get("/ready").status_code == 200  # the warehouse answers

    @FUZZ
    @given(request=requests(template))
    def check(request):
        path, query, headers = request
        response = client.get(url_of(path, query), headers=headers)
        assert response.status_code != 500, response.get_data(as_text=True)
        assert_conforms(response, path)

    check()


def example_path(template):
    return (
        template.replace("{customer_id}", "1")
        .replace("{table_name}", "customers")
        .replace("{preview_id}", "0" * 32)
        .replace("{version}", "1")
    )


@FUZZ
@given(template=st.sampled_from(sorted(DOC["paths"])), method=st.sampled_from(METHODS))
def test_other_methods_are_405_as_documented(template, method):
    documented = {name.upper() for name in DOC["paths"][template]}
    assume(method not in documented)
    app = create_app({"TESTING": True})
    path = example_path(template)
    response = app.test_client().open(path, method=method)
    assert response.status_code == 405
    assert documented | {"OPTIONS"} <= set(response.headers["Allow"].split(", "))
    assert_conforms(response, path)
    close_reader(app)


@pytest.mark.parametrize("template", ADMIN_OPERATIONS)
def test_admin_operations_with_keys_off_are_403_as_documented(app, client, template):
    """Whatever the path's values and body, API keys off: 403, before anything is read."""

    @FUZZ
    @given(request=requests(template, "post"), body=st.binary(max_size=200))
    def check(request, body):
        path, query, headers = request
        response = client.post(url_of(path, query), headers=headers, data=body)
        assert response.status_code == 403, response.get_data(as_text=True)
        assert_conforms(response, path)

    check()


@pytest.mark.parametrize("sample_warehouse", ["duckdb"], indirect=True)
def test_with_api_keys_any_key_or_none_is_401_as_documented(sample, monkeypatch):
    monkeypatch.setenv("API_KEY_HASHES", "0" * 64)
    app = create_app({"TESTING": True})
    client = app.test_client()

    @FUZZ
    @given(
        template=st.sampled_from([t for t in sorted(DOC["paths"]) if t.startswith("/api/")]),
        header=st.sampled_from(["Authorization", "X-API-Key", "X-Api-Key", "Cookie"]),
        value=printable,
    )
    def check(template, header, value):
        path = example_path(template)
        method = next(iter(DOC["paths"][template])).upper()
        response = client.open(path, method=method, headers={header: value})
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="interactions"')
        assert_conforms(response, path)

    try:
        check()
    finally:
        close_reader(app)
