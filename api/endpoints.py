"""One declaration per endpoint: its route, the model of its parameters and its documented
responses. `endpoint` registers the view on its blueprint, validates the parameters with the
model before the view runs (the view receives the model's instance), and records the
declaration, from which api/openapi.py generates the OpenAPI document."""

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app, request
from pydantic import BaseModel, ValidationError

from api import exports, schemas
from api.auth import require_admin
from api.errors import ApiError
from api.params import MAX_ID, Params

ENDPOINTS: list["Endpoint"] = []  # every declared endpoint, in declaration order


@dataclass(frozen=True)
class Answer:
    """A documented response: what it means, its body's model and an example body."""

    description: str
    model: type[BaseModel] | None  # None: a file, not JSON (media_type)
    example: object = None
    headers: tuple[str, ...] = ()  # response headers beyond X-Request-ID (components/headers)
    media_type: str = "application/json"


def error(description: str, example_message: str, status: int) -> Answer:
    return Answer(
        description,
        schemas.Error,
        {"error": {"status": status, "message": example_message}},
    )


@dataclass(frozen=True)
class Endpoint:
    path: str  # the OpenAPI path template: /api/v1/interactions/{customer_id}
    operation_id: str
    summary: str
    description: str
    responses: dict[int, Answer]
    params: type[Params] | None = None
    tags: tuple[str, ...] = ("api",)
    path_names: frozenset[str] = field(default=frozenset())
    method: str = "GET"
    # The OpenAPI requestBody of a POST (its content), or None.
    body: dict | None = None
    admin: bool = False  # it changes data: an admin key is checked before anything else
    # The answer as a table (api/exports.py): ?format=csv or xlsx downloads it.
    table: Callable[[dict], tuple[list, list]] | None = None


def endpoint(blueprint, rule, *, params=None, method="GET", admin=False, table=None, **declaration):
    """Register the decorated function as the `method` view of `rule` on `blueprint` (GET
    by default), its parameters validated by the `params` model, and declare it (Endpoint's
    fields). `admin`: the request needs an admin key (api/auth.py), checked before the
    parameters, so a caller who may not change data learns nothing more than 403. `table`:
    the answer's body as (columns, rows), which `?format=csv|xlsx` (a `format` field of the
    params model) downloads instead of the JSON (api/exports.py)."""
    template = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", (blueprint.url_prefix or "") + rule)
    path_names = frozenset(re.findall(r"\{([^}]+)\}", template))
    ENDPOINTS.append(
        Endpoint(
            template,
            params=params,
            path_names=path_names,
            method=method,
            admin=admin,
            table=table,
            **declaration,
        )
    )
    query_names = tuple(set(params.model_fields) - path_names) if params else ()

    def register(view):
        if params is None and not admin:
            blueprint.add_url_rule(rule, view_func=view, methods=[method])
            return view

        @functools.wraps(view)
        def validated_view(**path_values):
            if admin:
                require_admin()
            if params is None:
                return view()
            values = path_values
            if query_names and request.query_string:
                args = request.args
                values = {name: args[name] for name in query_names if name in args}
                values.update(path_values)
            try:
                checked = params.model_validate(values)
            except ValidationError as invalid:  # a rule the checks of api/params.py missed
                first = invalid.errors()[0]
                name = ".".join(str(part) for part in first["loc"])
                raise ApiError(400, f"{name}: {first['msg']}") from None
            answer = view(checked)
            if table is not None and checked.format in exports.MEDIA_TYPES:
                return _download(answer, table, checked.format)
            return answer

        blueprint.add_url_rule(rule, view_func=validated_view, methods=[method])
        return view

    return register


def _download(answer, table, fmt):
    """A 200 answer as a table to download; any other answer as it is (JSON)."""
    response = current_app.make_response(answer)
    if response.status_code != 200:
        return response
    name = request.path.removeprefix("/api/v1/").replace("/", "-")
    topic = request.args.get("topic")
    if topic:
        name += f"-{topic}"
    return exports.exported(response, table, fmt, name)


# The answers many endpoints share.
UNAVAILABLE = error(
    "The warehouse is unreachable (answered within 2 seconds) or the marts are not built.",
    "the warehouse is unavailable; try again shortly",
    503,
)
BAD_CUSTOMER_ID = error(
    f"The customer id is not a whole number from 1 to {MAX_ID} (abc, -1, 0, 1.5, too large).",
    "customer id must be a positive whole number, not 'abc'",
    400,
)
ADMIN_ONLY = error(
    "An admin key is needed: the key sent may only read, or API keys are off (API_KEY_HASHES).",
    "this needs an admin API key; the key sent may only read",
    403,
)
