"""The dbt project as `dbt docs` shows it: every model, seed and column described; the
pipeline's own models private to its group and the marts public; the exposures naming
exactly the marts the API reads (api/ is searched for `marts.<name>`); and the workbook's
shape declared once, in seeds/_seeds.yml; dbt's anonymous usage events off."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.sheets import SHEETS

ROOT = Path(__file__).resolve().parents[1]
# The environment's say on dbt's usage events: the project's must hold without them.
TRACKING_VARIABLES = ("DBT_SEND_ANONYMOUS_USAGE_STATS", "DO_NOT_TRACK")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    target = tmp_path_factory.mktemp("dbt-parse")
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(  # noqa: S603
        [
            str(dbt),
            "parse",
            "--project-dir",
            str(ROOT / "dbt_project"),
            "--profiles-dir",
            str(ROOT),
            "--target-path",
            str(target),
            "--no-partial-parse",
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k not in TRACKING_VARIABLES},
    )
    return json.loads((target / "manifest.json").read_text())


def test_dbt_sends_no_usage_events(manifest):
    """Closed by default: the project turns dbt's anonymous usage events off (dbt looked up
    dbt Labs' collector on every build)."""
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False
    assert manifest["metadata"]["user_id"] is None


def project_nodes(manifest, *resource_types):
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] in resource_types and node["package_name"] == "interactions"
    }


def test_every_model_seed_and_column_is_described(manifest):
    undescribed = []
    for name, node in project_nodes(manifest, "model", "seed").items():
        if not node["description"].strip():
            undescribed.append(name)
        undescribed += [
            f"{name}.{column}"
            for column, spec in node["columns"].items()
            if not spec["description"].strip()
        ]
    assert undescribed == []
    assert len(project_nodes(manifest, "model")) >= 20


def test_marts_are_public_and_the_rest_private_to_the_group(manifest):
    access = {
        name: (node["config"]["access"], node["group"])
        for name, node in project_nodes(manifest, "model").items()
    }
    group = "customer_interactions"
    for name, node in project_nodes(manifest, "model").items():
        layer = node["fqn"][1]  # interactions.<layer>.<model>
        expected = "public" if layer == "marts" else "private"
        assert access[name] == (expected, group), name


def test_the_api_exposure_names_exactly_the_marts_the_api_reads(manifest):
    read = set()
    for path in (ROOT / "api").glob("*.py"):
        read |= set(re.findall(r"\bmarts\.([a-z_]+)\b", path.read_text()))
    exposures = {exposure["name"]: exposure for exposure in manifest["exposures"].values()}
    api = exposures["interactions_api"]
    named = {node.rsplit(".", 1)[1] for node in api["depends_on"]["nodes"]}
    assert named == read
    website = exposures["interactions_website"]
    assert {node.rsplit(".", 1)[1] for node in website["depends_on"]["nodes"]} <= named


def test_build_info_is_built_after_every_other_mart(manifest):
    """Its built_at is the time of the last successful build: under dbt build it waits for
    every other mart and its tests."""
    models = project_nodes(manifest, "model")
    upstream, todo = set(), ["build_info"]
    while todo:
        for node_id in models[todo.pop()]["depends_on"]["nodes"]:
            name = node_id.rsplit(".", 1)[1]
            if node_id.startswith("model.") and name not in upstream:
                upstream.add(name)
                todo.append(name)
    marts = {name for name, node in models.items() if node["fqn"][1] == "marts"}
    assert sorted(marts - upstream - {"build_info"}) == []


def test_dbt_reads_the_workbook_shape_core_sheets_reads(manifest):
    """seeds/_seeds.yml declares the workbook once; dbt's graph (what macros/workbook.sql
    reads for the marts) holds the same sheets and headers as core/sheets.py reads from it,
    and every workbook seed's columns land as text (dbt_project.yml's column_types)."""
    seeds = project_nodes(manifest, "seed")
    declared = {
        name: (
            node["config"]["meta"]["sheet"],
            node["config"]["meta"]["sheet_in_marts"],
            [column["config"]["meta"]["header"] for column in node["columns"].values()],
        )
        for name, node in seeds.items()
        if "sheet" in node["config"]["meta"]
    }
    assert declared == {
        sheet.seed: (sheet.name, sheet.mart_name, sheet.headers) for sheet in SHEETS
    }
    for sheet in SHEETS:
        assert list(seeds[sheet.seed]["config"]["column_types"]) == sheet.seed_columns


def test_no_module_or_model_spells_out_the_workbook_headers():
    """The headers and sheet names live in seeds/_seeds.yml only: no Python module of the
    product or its scripts, and no SQL file of the dbt project, writes one as a string."""
    names = {sheet.name for sheet in SHEETS} | {h for sheet in SHEETS for h in sheet.headers}
    alternatives = "|".join(map(re.escape, sorted(names)))
    spelled = re.compile(rf"""["']({alternatives})=?["']""")
    files = [
        path
        for folder in ("api", "core", "interactions", "scripts")
        for path in (ROOT / folder).rglob("*.py")
    ]
    files += [
        path
        for folder in ("models", "macros", "tests")
        for path in (ROOT / "dbt_project" / folder).rglob("*.sql")
    ]
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in files
        for match in spelled.finditer(path.read_text(encoding="utf-8"))
    ]
    assert len(files) > 100
    assert found == []


def test_the_version_tables_are_sources_where_the_seeds_land(manifest):
    """The version bookkeeping is not workbook data: dbt sources (not seeds), in the schema the
    workbook's seeds land in, where interactions/landing.py loads both."""
    sources = [node for node in manifest["sources"].values() if node["source_name"] == "imports"]
    seeds = project_nodes(manifest, "seed")
    assert sorted(node["name"] for node in sources) == [
        "raw_customer_versions",
        "raw_data_versions",
    ]
    assert {node["schema"] for node in sources} == {seeds["raw_customers"]["schema"]}
    assert not {node["name"] for node in sources} & set(seeds)
