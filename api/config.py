"""The API's settings, read from the environment when first needed (never at import time).

A key set in the app's config (create_app(test_config)) wins over the environment.
"""

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core import settings as settings_module

DEFAULTS = {
    "API_DB_ROLE": "interactions_api",
    "API_POOL_MIN_SIZE": "1",
    "API_POOL_MAX_SIZE": "4",
    "API_POOL_TIMEOUT": "1.5",
    "API_CONNECT_TIMEOUT": "2",
    "API_STATEMENT_TIMEOUT_MS": "5000",
}
KEYS = (
    "WAREHOUSE",
    "DUCKDB_PATH",
    "INTERACTIONS_HOME",
    "API_DB_PASSWORD",
    "API_ANSWER_DIR",
    "API_PREVIEW_DIR",
    *DEFAULTS,
)


@dataclass(frozen=True)
class ApiConfig:
    warehouse: str  # duckdb or postgres
    duckdb_path: Path
    db_role: str  # PostgreSQL: the role that may only SELECT the marts
    db_password: str | None
    pool_min_size: int
    pool_max_size: int
    pool_timeout: float  # seconds a request waits for a pooled connection
    connect_timeout: int  # seconds, libpq's connect_timeout
    statement_timeout_ms: int
    answer_dir: Path  # the answer files the workers share (api/answer_store.py)
    preview_dir: Path  # the uploaded workbooks waiting to be published (api/previews.py)


def db_password(app_config) -> str | None:
    """API_DB_PASSWORD (`app_config` over os.environ), read on its own: the access log keeps
    it out of the log (api/access_log.py) whatever the other settings."""
    return str(app_config.get("API_DB_PASSWORD", os.environ.get("API_DB_PASSWORD", ""))) or None


def load(app_config) -> ApiConfig:
    """The settings from `app_config` (a Flask config) over os.environ; a bad value is a
    ValueError naming the variable."""
    environ = {key: value for key, value in os.environ.items() if key in KEYS}
    environ.update({key: str(app_config[key]) for key in KEYS if key in app_config})
    settings = settings_module.load(environ)

    def value(key):
        return environ.get(key) or DEFAULTS[key]

    config = ApiConfig(
        warehouse=settings.warehouse,
        duckdb_path=settings.duckdb_path,
        db_role=value("API_DB_ROLE"),
        db_password=db_password(app_config),
        pool_min_size=_number(int, "API_POOL_MIN_SIZE", value("API_POOL_MIN_SIZE"), 0),
        pool_max_size=_number(int, "API_POOL_MAX_SIZE", value("API_POOL_MAX_SIZE"), 1),
        pool_timeout=_number(float, "API_POOL_TIMEOUT", value("API_POOL_TIMEOUT"), 0.1),
        connect_timeout=_number(int, "API_CONNECT_TIMEOUT", value("API_CONNECT_TIMEOUT"), 1),
        statement_timeout_ms=_number(
            int, "API_STATEMENT_TIMEOUT_MS", value("API_STATEMENT_TIMEOUT_MS"), 1
        ),
        answer_dir=Path(
            environ.get("API_ANSWER_DIR")
            or Path(tempfile.gettempdir()) / f"interactions-answers-{os.getuid()}"
        ),
        preview_dir=Path(
            environ.get("API_PREVIEW_DIR")
            or Path(tempfile.gettempdir()) / f"interactions-previews-{os.getuid()}"
        ),
    )
    if config.pool_max_size < config.pool_min_size:
        raise ValueError(
            f"API_POOL_MAX_SIZE ({config.pool_max_size}) must not be less than "
            f"API_POOL_MIN_SIZE ({config.pool_min_size})"
        )
    return config


def _number(kind, name, text, minimum):
    try:
        number = kind(text)
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise ValueError(f"{name} must be a number of at least {minimum}, not {text!r}")
    return number
