"""The read API on the marts: a Flask application factory.

Granian serves `api:create_app` (`interactions serve`: a factory, called in each worker); the
warehouse settings are read from the environment on the first request (api/config.py), or
from `test_config`.
"""

import logging

from flask import Flask


def create_app(test_config=None):
    app = Flask(__name__, static_folder=None)  # the website blueprint serves /static
    if test_config is not None:
        app.config.from_mapping(test_config)
    # Keys in the order written, compact: {"data":{"customer_id":1,"interactions":{...}}}
    app.json.sort_keys = False
    app.json.compact = True
    # The api.* modules log through the app's logger (Flask's handler: the server's stderr).
    if app.logger.level == logging.NOTSET:
        app.logger.setLevel(logging.INFO)

    from api import (
        access_log,
        auth,
        customers,
        data_quality,
        data_version,
        errors,
        fast_answers,
        health,
        hosts,
        imports,
        interactions,
        openapi,
        protocol,
        quarantine,
        reference,
        request_id,
        versions,
        website,
    )

    request_id.register(app)
    protocol.register(app)  # empty path segments are 404; HEAD and OPTIONS
    auth.register(app)  # API_KEY_HASHES: /api/ routes need a key
    hosts.register(app)  # keys off: requests to this machine's names only (DNS rebinding)
    errors.register(app)
    website.register(app)
    data_version.register(app)  # X-Data-Version, ETag and 304 on the answers read from the data
    modules = (
        health,
        interactions,
        customers,
        versions,
        imports,
        data_quality,
        quarantine,
        reference,
        openapi,
    )
    for module in modules:
        app.register_blueprint(module.bp)
    fast_answers.register(app)  # GET /api/v1/interactions/{id} from the answer file, before Flask
    access_log.register(app)  # outermost: every answer, secrets redacted (not under tests)
    return app
