"""Kept versions of the data: every successful import (and the sample seeds' first build) is a
version N = 1, 2, 3, ... whose seed files are kept, so any kept version can be made live again.

A version lives in a folder of its own under the version store (`warehouse/versions/<target>/`,
outside the repository; VERSIONS_DIR overrides): `N/` holds the version's three workbook seed
CSVs and `version.json` (number, imported_at, file name and sha256, note, figures). Version 1,
the sample, has no CSVs of its own: its seeds are the repository's `seeds/`.

The live version is recorded in the live warehouse itself (`marts.build_info.data_version`),
so it changes in the same rename or schema-swap transaction as the marts. A version folder is
written as `N.pending` and renamed to `N` once the warehouse with data_version N is live: a
command killed in between leaves a `.pending` folder that the next command completes (the
warehouse says N is live) or removes (it never went live). Retention renames a folder to
`.deleting-N` before removing it. Every change happens under the build lock (build.py).
"""

import csv
import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psycopg

from core.settings import Settings
from interactions.seed_files import WORKBOOK_SEEDS, seed_path

VERSION_FILE = "version.json"
PENDING = ".pending"
DELETING = ".deleting-"
# The table the kept versions land as, beside the workbook's seeds (loaded in bulk, like
# them): the dbt source imports.raw_data_versions (models/staging/_imports__sources.yml).
DATA_VERSIONS_TABLE = "raw_data_versions"
DATA_VERSIONS_COLUMNS = (
    "version",
    "imported_at",
    "file_name",
    "file_sha256",
    "note",
    "interactions_counted",
    "rows_quarantined",
)
# The customers a version served (its dim_customers), kept in its folder; the earlier kept
# versions' land as this table (source imports.raw_customer_versions), for the mart
# customer_versions.
CUSTOMERS_SERVED = "customers_served.csv"
CUSTOMER_VERSIONS_TABLE = "raw_customer_versions"
CUSTOMER_VERSIONS_COLUMNS = ("version", "customer_id", "occupation", "customer_type")
SAMPLE_FILE = "seeds/"
SAMPLE = 1  # the version of seeds/ (the sample workbook)
DEFAULT_KEEP = 20
DEFAULT_MAX_SHRINK = 0.2


class VersionError(ValueError):
    """A version command cannot be carried out; the message says why (nothing changed)."""


@dataclass
class Version:
    version: int
    imported_at: str  # UTC, ISO 8601 ('2026-11-30T21:40:00Z')
    file: str
    sha256: str
    note: str = ""
    interactions_counted: int | None = None
    rows_quarantined: int | None = None
    customers_counted: int | None = None
    # sheet ('customers', 'interactions', 'products') -> {'landed', 'counted', 'quarantined'}
    sheets: dict[str, dict[str, int]] = field(default_factory=dict)
    # sheet -> the sheet row of its header (1-based; a version kept before it was recorded,
    # and the sample's CSVs: row 1), so that the marts can name each row's sheet row
    header_rows: dict[str, int] = field(default_factory=dict)

    def dbt_vars(self) -> dict:
        """The dbt vars of a build of this version: its sheets' header rows."""
        return {"sheet_header_rows": self.header_rows} if self.header_rows else {}

    def take_figures(self, figures: dict) -> None:
        """The figures of a build of this version (changes.read_figures)."""
        self.interactions_counted = figures["interactions_counted"]
        self.rows_quarantined = figures["rows_quarantined"]
        self.customers_counted = figures["customers_counted"]
        self.sheets = figures["sheets"]

    def history_entry(self, live: int | None) -> dict:
        """The keys of `interactions history --json` and GET /api/v1/versions, in order."""
        return {
            "version": self.version,
            "imported_at": self.imported_at,
            "file": self.file,
            "sha256": self.sha256,
            "interactions_counted": self.interactions_counted,
            "rows_quarantined": self.rows_quarantined,
            "is_live": self.version == live,
        }


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def file_sha256(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def environment_setting(name: str, default, kind, check, meaning: str):
    """A setting from the environment, or a clear error naming it."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not check(value):
        raise VersionError(f"{name} must be {meaning}, not {text!r}")
    return value


def keep_versions() -> int:
    return environment_setting(
        "IMPORT_KEEP_VERSIONS", DEFAULT_KEEP, int, lambda n: n >= 1, "a whole number from 1"
    )


def max_shrink() -> float:
    return environment_setting(
        "IMPORT_MAX_SHRINK",
        DEFAULT_MAX_SHRINK,
        float,
        lambda x: 0 <= x <= 1,
        "a fraction from 0 to 1 (0.2 refuses an import that drops over 20%)",
    )


def store_root(settings: Settings) -> Path:
    """Where this warehouse's versions are kept: one store per DuckDB file or database."""
    configured = os.environ.get("VERSIONS_DIR")
    if configured:
        return Path(configured)
    base = settings.root / "warehouse" / "versions"
    if settings.warehouse == "duckdb":
        return settings.duckdb_path.parent / "versions" / f"duckdb-{settings.duckdb_path.stem}"
    host = os.environ.get("PGHOST", "127.0.0.1").replace("/", "_")
    port = os.environ.get("PGPORT", "5432")
    database = os.environ.get("PGDATABASE", "interactions")
    return base / f"postgres-{database}@{host}-{port}"


class Store:
    """The version folders of one warehouse (see the module docstring)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.root = store_root(settings)

    # --- reading -----------------------------------------------------------------------

    def numbers(self) -> list[int]:
        """The kept (committed) versions, oldest first."""
        if not self.root.is_dir():
            return []
        return sorted(
            int(path.name)
            for path in self.root.iterdir()
            if path.name.isdigit() and (path / VERSION_FILE).is_file()
        )

    def folder(self, number: int) -> Path:
        return self.root / str(number)

    def pending_folder(self, number: int) -> Path:
        return self.root / f"{number}{PENDING}"

    def read(self, number: int, folder: Path | None = None) -> Version:
        path = (folder or self.folder(number)) / VERSION_FILE
        try:
            return Version(**json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError as error:
            raise VersionError(f"version {number} is not kept{self._kept_list()}") from error

    def versions(self, live: int | None = None) -> list[Version]:
        """The kept versions, oldest first; with `live`, also the live one when a killed
        command left it pending (the next command keeps it: see recover)."""
        kept = [self.read(number) for number in self.numbers()]
        pending = self.pending_folder(live) if live is not None else None
        if (
            pending is not None
            and live not in self.numbers()
            and (pending / VERSION_FILE).is_file()
        ):
            kept = sorted([*kept, self.read(live, pending)], key=lambda v: v.version)
        return kept

    def _kept_list(self) -> str:
        numbers = self.numbers()
        return f" (kept: {', '.join(map(str, numbers))})" if numbers else " (none is kept)"

    def seed_files(self, version: "Version", folder: Path | None = None) -> dict[str, Path]:
        """The version's workbook seed CSVs: its own, or the repository's seeds/ for the
        sample; a version whose files are gone is an error, never another version's data."""
        if version.file == SAMPLE_FILE:
            return {seed: seed_path(self.settings.seeds_dir, seed) for seed in WORKBOOK_SEEDS}
        folder = folder or self.folder(version.version)
        own = {seed: seed_path(folder, seed) for seed in WORKBOOK_SEEDS}
        missing = [path.name for path in own.values() if not path.is_file()]
        if missing:
            raise VersionError(
                f"version {version.version} cannot be built: {', '.join(missing)} missing from "
                f"{folder}; nothing changed"
            )
        return own

    def next_number(self, live: int | None) -> int:
        taken = [*self.numbers(), live or 0]
        if self.root.is_dir():
            taken += [
                int(path.name.removesuffix(PENDING))
                for path in self.root.iterdir()
                if path.name.endswith(PENDING) and path.name.removesuffix(PENDING).isdigit()
            ]
        return max(taken) + 1

    # --- writing (under the build lock) ---------------------------------------------------

    def recover(self, live: int | None) -> None:
        """Finish or undo what a killed command left: see the module docstring."""
        if not self.root.is_dir():
            return
        for path in self.root.iterdir():
            name = path.name
            if name.endswith(PENDING) and name.removesuffix(PENDING).isdigit():
                number = int(name.removesuffix(PENDING))
                if number == live and (path / VERSION_FILE).is_file():
                    os.replace(path, self.folder(number))  # it went live: keep it
                else:
                    shutil.rmtree(path, ignore_errors=True)
            elif name.startswith(DELETING) or name.startswith(".landing"):
                shutil.rmtree(path, ignore_errors=True)
        # Folders of the import before versions (plain-text copies of the sheets).
        for path in (self.settings.root / "warehouse").glob(".import-*"):
            shutil.rmtree(path, ignore_errors=True)

    def new_pending(self, number: int) -> Path:
        folder = self.pending_folder(number)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return folder

    def write(self, version: Version, folder: Path) -> None:
        """version.json in `folder`, replaced atomically."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / VERSION_FILE
        staged = folder / f".{VERSION_FILE}.writing"
        staged.write_text(json.dumps(asdict(version), indent=2) + "\n", encoding="utf-8")
        os.replace(staged, path)

    def commit(self, number: int) -> None:
        """The pending version went live: keep it."""
        os.replace(self.pending_folder(number), self.folder(number))

    def retain(self, keep: list[int]) -> list[int]:
        """Remove every kept version not in `keep`; return the removed numbers."""
        removed = []
        for number in self.numbers():
            if number in keep:
                continue
            doomed = self.root / f"{DELETING}{number}"
            os.replace(self.folder(number), doomed)
            shutil.rmtree(doomed, ignore_errors=True)
            removed.append(number)
        return removed

    def landing_folder(self) -> Path:
        """A scratch folder for one build's version tables (their CSVs, landed beside the seeds)."""
        folder = self.root / ".landing"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return folder


def kept_after_import(store: Store, number: int, keep: int) -> list[int]:
    """The versions kept once `number` (the newest) is live: the newest `keep`."""
    return sorted([*store.numbers(), number])[-keep:]


def version_tables(
    store: Store, folder: Path, listed: list[Version], earlier: list[int]
) -> dict[str, Path]:
    """The version tables' CSVs for one build, written into `folder` (table -> path): the
    versions `listed` (the kept ones and the one being built) and the customers each of the
    versions `earlier` served."""
    return {
        DATA_VERSIONS_TABLE: write_data_versions(folder / f"{DATA_VERSIONS_TABLE}.csv", listed),
        CUSTOMER_VERSIONS_TABLE: write_customer_versions(
            folder / f"{CUSTOMER_VERSIONS_TABLE}.csv", store, earlier
        ),
    }


def write_data_versions(path: Path, versions: list[Version]) -> Path:
    """The kept versions as the raw_data_versions table's CSV (every value as text)."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(DATA_VERSIONS_COLUMNS)
        for version in sorted(versions, key=lambda item: item.version):
            writer.writerow(
                [
                    version.version,
                    version.imported_at.removesuffix("Z").replace("T", " "),
                    version.file,
                    version.sha256,
                    version.note,
                    "" if version.interactions_counted is None else version.interactions_counted,
                    "" if version.rows_quarantined is None else version.rows_quarantined,
                ]
            )
    return path


def write_customer_versions(path: Path, store: Store, numbers: list[int]) -> Path:
    """The customers the versions `numbers` served, as the raw_customer_versions table's CSV: each
    version's customers_served.csv (already with its version column), one after another."""
    with open(path, "wb") as out:
        out.write((",".join(CUSTOMER_VERSIONS_COLUMNS) + "\n").encode())
        for number in numbers:
            served = store.folder(number) / CUSTOMERS_SERVED
            if not served.is_file():
                continue  # kept before customer history existed: no rows for it
            with open(served, "rb") as source:
                source.readline()  # its header
                shutil.copyfileobj(source, out)
    return path


def live_version(settings: Settings) -> int | None:
    """The version the live warehouse serves (build_info.data_version), or None when nothing
    versioned is live (no warehouse yet, or one built before versions)."""
    query = "select data_version from marts.build_info"
    try:
        if settings.warehouse == "duckdb":
            if not settings.duckdb_path.exists():
                return None
            with duckdb.connect(str(settings.duckdb_path), read_only=True) as connection:
                row = connection.execute(query).fetchone()
        else:
            with psycopg.connect(connect_timeout=5) as connection:
                row = connection.execute(query).fetchone()
    except (
        duckdb.CatalogException,
        duckdb.BinderException,
        psycopg.errors.UndefinedTable,
        psycopg.errors.UndefinedColumn,
        psycopg.errors.InvalidSchemaName,
    ):
        return None
    if row is None or not row[0]:
        return None
    return int(row[0])


def sample_version(settings: Settings) -> Version:
    """Version 1 when the first build is of the sample seeds in seeds/."""
    files = [seed_path(settings.seeds_dir, seed) for seed in WORKBOOK_SEEDS]
    return Version(
        version=SAMPLE, imported_at=utc_now(), file=SAMPLE_FILE, sha256=file_sha256(*files)
    )


def format_history(store: Store, live: int | None) -> str:
    """`interactions history`: newest first, the live one marked."""
    rows = [("version", "imported at", "file", "sha256", "interactions", "quarantined", "live")]
    for version in reversed(store.versions(live)):
        rows.append(
            (
                str(version.version),
                version.imported_at,
                version.file,
                version.sha256[:12],
                _figure(version.interactions_counted),
                _figure(version.rows_quarantined),
                "*" if version.version == live else "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {0, 4, 5}
    lines = [
        "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]
    if len(rows) == 1:
        lines.append("(no version kept yet: `interactions build` makes the sample version 1)")
    keep = keep_versions()
    lines.append(
        f"Kept: the newest {keep} versions (IMPORT_KEEP_VERSIONS) and the live one; "
        f"store: {store.root}"
    )
    return "\n".join(lines)


def _figure(value) -> str:
    return "" if value is None else str(value)
