"""Shared fixtures: the sample seeds built once per session on each warehouse."""

import os
from unittest import mock

import pytest

from tests.warehouses import SAMPLE_TEMPLATES, BuiltOnce

WAREHOUSES = ["duckdb", "postgres"]


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` (make test) longest first, the Spark cluster's files on one worker
    (tests/scheduling.py)."""
    if config.getoption("dist") == "loadfile":
        from tests.scheduling import LongestFirst

        return LongestFirst(config, log)
    return None


@pytest.fixture(scope="session", autouse=True)
def private_folders(tmp_path_factory):
    """The answer files and the previews of every API the tests start (in process or served)
    go to folders of this session's, not to the system's temporary folder, which other
    checkouts of this product on the machine share (a test may still set its own)."""
    folders = {}
    for variable, name in (("API_ANSWER_DIR", "answers"), ("API_PREVIEW_DIR", "previews")):
        folders[variable] = tmp_path_factory.mktemp(name)
        folders[variable].chmod(0o700)
    with mock.patch.dict(os.environ, {k: str(v) for k, v in folders.items()}):
        yield folders


@pytest.fixture(scope="session", autouse=True)
def sample_templates():
    """The sample built once per warehouse for tests/warehouses.fresh_sample; removed at the
    session's end (its PostgreSQL database dropped)."""
    yield SAMPLE_TEMPLATES
    SAMPLE_TEMPLATES.remove()


@pytest.fixture(scope="session")
def sample_builds(tmp_path_factory):
    """The sample seeds built by dbt once per warehouse in this session, on first use."""
    builds = BuiltOnce(lambda warehouse: tmp_path_factory.mktemp(f"sample-{warehouse}"))
    yield builds
    builds.close()


@pytest.fixture(scope="session", params=WAREHOUSES)
def sample_warehouse(request, sample_builds):
    """The sample seeds built by dbt on one warehouse (each test runs on both): a
    tests.warehouses.Built; while a test runs, the environment (WAREHOUSE, DUCKDB_PATH or
    PGDATABASE) points at this warehouse, as the API and CLI read it."""
    return sample_builds.get(request.param)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    """The session's standalone Spark cluster (tests/spark_clusters.py): {variable: value}
    that points a command at it; `make spark-down` checked at the session's end."""
    from tests.spark_clusters import running_cluster
    from tests.test_spark import require_spark

    require_spark()
    with running_cluster(tmp_path_factory.mktemp("cluster")) as environ:
        yield environ


@pytest.fixture
def sample(sample_warehouse):
    """The sample warehouse, with the environment pointing at it for this test."""
    with mock.patch.dict(os.environ, sample_warehouse.environ):
        yield sample_warehouse


@pytest.fixture
def app():
    """The API. Its warehouse reader is made on the first request, from the environment of
    that moment (e.g. the `sample` fixture's), and closed after the test."""
    from api import create_app
    from api.warehouse import close_reader

    with mock.patch.dict(os.environ):
        os.environ.pop("API_KEY_HASHES", None)  # these tests use the open API
        app = create_app({"TESTING": True})
        yield app
        close_reader(app)


@pytest.fixture
def client(app):
    return app.test_client()
