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
from hypothesis import HealthCheck, given, settings
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
OPERATIONS = sorted(DOC["paths"])

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
def requests(draw, template):
    operation = DOC["paths"][template]["get"]
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


@FUZZ
@given(
    template=st.sampled_from(OPERATIONS),
    method=st.sampled_from(["POST", "PUT", "PATCH", "DELETE"]),
)
def test_other_methods_are_405_as_documented(template, method):
    app = create_app({"TESTING": True})
    path = template.replace("{customer_id}", "1").replace("{table_name}", "customers")
    response = app.test_client().open(path, method=method)
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert_conforms(response, path)
    close_reader(app)


@pytest.mark.parametrize("sample_warehouse", ["duckdb"], indirect=True)
def test_with_api_keys_any_key_or_none_is_401_as_documented(sample, monkeypatch):
    monkeypatch.setenv("API_KEY_HASHES", "0" * 64)
    app = create_app({"TESTING": True})
    client = app.test_client()

    @FUZZ
    @given(
        template=st.sampled_from([t for t in OPERATIONS if t.startswith("/api/")]),
        header=st.sampled_from(["Authorization", "X-API-Key", "X-Api-Key", "Cookie"]),
        value=printable,
    )
    def check(template, header, value):
        path = template.replace("{customer_id}", "1").replace("{table_name}", "customers")
        response = client.get(path, headers={header: value})
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="interactions"')
        assert_conforms(response, path)

    try:
        check()
    finally:
        close_reader(app)
