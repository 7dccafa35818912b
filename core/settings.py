"""Configuration from the environment, read when asked for (never at import time)."""

import os
from dataclasses import dataclass
from pathlib import Path

WAREHOUSES = ("duckdb", "postgres", "spark", "spark_cluster")
SPARK_WAREHOUSE_DIR = "warehouse/spark/live"
SPARK_CLUSTER_DIR = "warehouse/spark-cluster"
# The warehouse whose marts the API reads after a build on each: a Spark cluster's builds are
# published into PostgreSQL (interactions/cluster_publish.py); local Spark is never served.
SERVED_BY = {"duckdb": "duckdb", "postgres": "postgres", "spark_cluster": "postgres"}


def project_root() -> Path:
    """The repository: where profiles.yml, dbt_project/ and seeds/ live."""
    return Path(os.environ.get("INTERACTIONS_HOME", Path(__file__).resolve().parents[1]))


@dataclass(frozen=True)
class Settings:
    warehouse: str
    duckdb_path: Path
    root: Path
    # Spark: the live warehouse folder (tables and metastore); `interactions build` keeps it a
    # symbolic link to the last build that passed.
    spark_warehouse_dir: Path | None = None
    # Spark cluster (scripts/spark_cluster.py): its folder, whose landing/ the cluster reads.
    spark_cluster_dir: Path | None = None

    @property
    def dbt_project_dir(self) -> Path:
        return self.root / "dbt_project"

    @property
    def seeds_dir(self) -> Path:
        return self.root / "seeds"

    @property
    def served_warehouse(self) -> str | None:
        """Where this warehouse's builds are served from (None: local Spark, never served)."""
        return SERVED_BY.get(self.warehouse)


def load(environ=None) -> Settings:
    """Settings from `environ` (default os.environ); a bad WAREHOUSE is a clear error."""
    environ = os.environ if environ is None else environ
    root = Path(environ.get("INTERACTIONS_HOME", project_root()))
    warehouse = environ.get("WAREHOUSE", "duckdb").strip().lower() or "duckdb"
    if warehouse not in WAREHOUSES:
        raise ValueError(f"WAREHOUSE must be one of {', '.join(WAREHOUSES)}, not {warehouse!r}")
    duckdb_path = Path(environ.get("DUCKDB_PATH", "warehouse/interactions.duckdb"))
    if not duckdb_path.is_absolute():
        duckdb_path = root / duckdb_path
    spark_warehouse_dir = Path(environ.get("SPARK_WAREHOUSE_DIR", SPARK_WAREHOUSE_DIR))
    if not spark_warehouse_dir.is_absolute():
        spark_warehouse_dir = root / spark_warehouse_dir
    spark_cluster_dir = Path(environ.get("SPARK_CLUSTER_DIR", SPARK_CLUSTER_DIR))
    if not spark_cluster_dir.is_absolute():
        spark_cluster_dir = root / spark_cluster_dir
    return Settings(
        warehouse=warehouse,
        duckdb_path=duckdb_path,
        root=root,
        spark_warehouse_dir=spark_warehouse_dir,
        spark_cluster_dir=spark_cluster_dir,
    )
