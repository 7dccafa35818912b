"""What each way of declaring an endpoint costs a request (docs/ARCHITECTURE.md, "The OpenAPI
document, generated"): Flask's test client, the same query model (limit, cursor, q) under a
plain view, this API's endpoint(), flask-openapi3 and spectree. The two libraries are not
dependencies; install them aside first:

    .venv/bin/pip install --target .candidates --no-deps flask-openapi3==4.3.2 spectree==3.0.0
    .venv/bin/python scripts/openapi_candidates.py .candidates
"""

import sys
import time
from typing import Annotated

from flask import Blueprint, Flask, request
from pydantic import BaseModel, Field

from api import schemas
from api.endpoints import Answer, endpoint
from api.params import MAX_TEXT, Cursor, CustomerPageParams, Limit, _text

sys.path.append(sys.argv[1])
from flask_openapi3 import OpenAPI  # noqa: E402
from spectree import SpecTree  # noqa: E402

REQUESTS = 3000
URL = "/c?limit=5&q=jedi"


class SameQuery(BaseModel):  # CustomerPageParams without `examples` (flask-openapi3 refuses a list)
    limit: Limit = 50
    cursor: Cursor = None
    q: Annotated[str | None, Field(min_length=1, max_length=MAX_TEXT), _text("q")] = None


def plain_app():
    app = Flask("plain")

    @app.get("/c")
    def view():
        return {"limit": int(request.args.get("limit", 50))}

    return app


def endpoint_app():
    app = Flask("endpoint")
    bp = Blueprint("b", __name__)

    @endpoint(
        bp,
        "/c",
        params=CustomerPageParams,
        operation_id="c",
        summary="c",
        description="c",
        responses={200: Answer("c", schemas.Health)},
    )
    def view(params):
        return {"limit": params.limit}

    app.register_blueprint(bp)
    return app


def flask_openapi3_app():
    app = OpenAPI("flask-openapi3", doc_ui=False)

    @app.get("/c")
    def view(query: SameQuery):
        return {"limit": query.limit}

    return app


def spectree_app():
    app = Flask("spectree")
    spec = SpecTree("flask")

    @app.get("/c")
    @spec.validate(query=SameQuery)
    def view():
        return {"limit": request.context.query.limit}

    spec.register(app)
    return app


def main():
    apps = [plain_app(), endpoint_app(), flask_openapi3_app(), spectree_app()]
    for round_ in range(3):
        for app in apps:
            client = app.test_client()
            assert client.get(URL).get_json() == {"limit": 5}, app.name
            started = time.perf_counter()
            for _ in range(REQUESTS):
                client.get(URL)
            per_request = (time.perf_counter() - started) / REQUESTS * 1e6
            print(f"round {round_ + 1}  {app.name:15s} {per_request:6.1f} µs a request")


if __name__ == "__main__":
    main()
