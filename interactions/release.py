"""Every change of the served data, one path: a release makes one version live, whole, or
changes nothing.

`interactions import` (a workbook becomes a new version), `interactions build` (the live
version again, with the project as it is now; the sample seeds/ as version 1 when nothing is
kept) and `interactions rollback` (a kept version) differ only in their input. The API's
publish and rollback run these commands. Each release, under the build lock:

1. prepare: finish what a killed command left (versions.Store.recover, in version_store);
   the version's number, record and folder (a new version's pending folder in the version
   store, or the kept version's); the version tables (the kept versions, the customers the
   earlier ones served);
2. land: an import reads the workbook into the new version's seed CSVs
   (interactions/importer.py); the seeds and the version tables land in bulk in a new, not yet
   live warehouse, and `dbt build` builds and tests it (interactions/build.py, one engine per
   warehouse: a new DuckDB file, PostgreSQL's __next schemas, a Spark cluster's build
   published into PostgreSQL's);
3. inspect: an import reads its summary and the changes against the live version, and the
   shrink guard may refuse it; every release records the version's figures and the customers
   it serves;
4. go live: one step (build.py);
5. keep: a new version's folder is kept (it loses `.pending`) and, after an import, the
   versions beyond IMPORT_KEEP_VERSIONS are removed (never the live one); a kept version's
   figures are rewritten.

Any error before step 4 leaves the live version and its answers exactly as they were. A
release writes no file in the repository. Local Spark keeps no version store: `interactions
build` there builds seeds/ as version 1, unversioned (build.build).
"""

import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psycopg

from core.settings import Settings
from interactions import importer, versions
from interactions.build import BuildError, BuildResult, build, build_lock, candidate
from interactions.changes import export_served_customers, read_figures
from interactions.importer import ANY_LIVE, ImportFailed, ImportResult, LiveChanged
from interactions.pause_points import pause_point
from interactions.seed_files import WORKBOOK_SEEDS, seed_path
from interactions.workbook import check_file


@dataclass
class Released:
    version: int | None  # None: a local Spark build, which is not versioned
    previous: int | None
    result: BuildResult
    kept: list[int] = field(default_factory=list)


@contextmanager
def version_store(settings: Settings):
    """Under the build lock: the version store and the live version, once what a killed
    command left is finished or removed. Every release starts here."""
    with build_lock(settings):
        store = versions.Store(settings)
        live = versions.live_version(settings)
        store.recover(live)
        yield store, live


def import_workbook(
    settings: Settings,
    workbook_path,
    echo=False,
    *,
    preview=False,
    allow_shrink=False,
    note="",
    expect_live=ANY_LIVE,
    fixit: Path | None = None,
) -> ImportResult:
    """`interactions import`: the workbook at `workbook_path` as a new version; raise
    ImportFailed (nothing changed) on error. `preview`: build and test it, compute the changes,
    change nothing. `expect_live`: the version that must be live (None: none), checked under
    the build lock; LiveChanged if another is. `fixit`: write the fix-it workbook of its
    quarantined rows there once dbt has passed (core/fixit.py)."""
    if settings.served_warehouse is None:
        raise ImportFailed(
            "import works on WAREHOUSE=duckdb, postgres or spark_cluster (built on a Spark "
            f"cluster, served by PostgreSQL), not {settings.warehouse}"
        )
    started = time.monotonic()
    workbook_path = Path(workbook_path)
    try:
        formats = importer.date_formats(settings)
        check_file(workbook_path)  # not a workbook at all: fail before any build starts
        allowed_shrink = None if allow_shrink else versions.max_shrink()
        keep = versions.keep_versions()
    except ValueError as error:
        raise ImportFailed(f"{error}; nothing changed") from error
    try:
        with version_store(settings) as (store, live):
            if expect_live is not ANY_LIVE and live != expect_live:
                raise LiveChanged(
                    f"the live version changed since the preview: it is {live}, not "
                    f"{expect_live}; nothing changed (preview the workbook again)"
                )
            number = store.next_number(live)
            record = versions.Version(
                version=number,
                imported_at=versions.utc_now(),
                file=workbook_path.name,
                sha256=versions.file_sha256(workbook_path),
                note=note,
            )
            reading = importer.WorkbookImport(
                workbook_path, formats, allowed_shrink=allowed_shrink, preview=preview, fixit=fixit
            )
            release = Release(
                settings,
                store,
                live,
                record,
                kept=versions.kept_after_import(store, number, keep),
                folder=store.new_pending(number),
                new=True,
                workbook=reading,
            )
            built = release.run(echo=echo, go_live=not preview)
    except BuildError as error:
        raise ImportFailed(importer.build_failure(error)) from error
    except (ValueError, OSError, psycopg.Error, duckdb.Error) as error:
        raise ImportFailed(f"{error}; nothing changed: the previous data is still live") from error
    return reading.finish(built, number, time.monotonic() - started)


def rebuild(settings: Settings, echo=True) -> Released:
    """`interactions build`."""
    if settings.served_warehouse is None:
        return Released(None, None, build(settings, echo=echo, data_version=versions.SAMPLE))
    with version_store(settings) as (store, live):
        kept = store.numbers()
        if live in kept:
            return _kept_version(settings, store, live, live, echo)
        if kept:
            return _kept_version(settings, store, kept[-1], live, echo)
        number = store.next_number(live)
        record = versions.sample_version(settings)
        record.version = number
        pending = store.new_pending(number)
        store.write(record, pending)
        record = store.read(number, pending)
        release = Release(settings, store, live, record, kept=[number], folder=pending, new=True)
        return Released(number, live, release.run(echo=echo), store.numbers())


def rollback(settings: Settings, number: int | None = None, echo=False) -> Released:
    """`interactions rollback [N]`."""
    if settings.served_warehouse is None:
        raise versions.VersionError(
            f"rollback works on WAREHOUSE=duckdb, postgres or spark_cluster, not "
            f"{settings.warehouse}"
        )
    with version_store(settings) as (store, live):
        kept = store.numbers()
        if number is None:
            earlier = [n for n in kept if live is not None and n < live]
            if not earlier:
                raise versions.VersionError(
                    f"no kept version before the live one ({live}) to go back to; "
                    f"kept: {', '.join(map(str, kept)) or 'none'}; nothing changed"
                )
            number = earlier[-1]
        if number not in kept:
            raise versions.VersionError(
                f"version {number} is not kept (kept: {', '.join(map(str, kept)) or 'none'});"
                " nothing changed"
            )
        return _kept_version(settings, store, number, live, echo)


def _kept_version(settings, store, number, live, echo) -> Released:
    """Kept version `number` built again and made live."""
    record = store.read(number)
    release = Release(
        settings, store, live, record, kept=store.numbers(), folder=store.folder(number)
    )
    return Released(number, live, release.run(echo=echo), store.numbers())


class Release:
    """One version on its way live, by the steps above (`run`).

    `kept`: the versions kept once it is live; `folder`: its folder in the version store;
    `new`: a version not kept yet (its folder pending); `workbook`: an import's reading of
    the workbook (importer.WorkbookImport), whose summary, changes and guard it inspects."""

    def __init__(
        self,
        settings: Settings,
        store: versions.Store,
        live: int | None,
        record: versions.Version,
        *,
        kept: list[int],
        folder: Path,
        new: bool = False,
        workbook: "importer.WorkbookImport | None" = None,
    ):
        self.settings = settings
        self.store = store
        self.live = live
        self.record = record
        self.number = record.version
        self.kept = kept
        self.folder = folder
        self.new = new
        self.workbook = workbook
        self.went_live = False

    def run(self, echo: bool, go_live: bool = True) -> BuildResult:
        """Steps 1 to 5; `go_live=False` (a preview) stops after the inspection."""
        # 1. prepare: the version's seed CSVs (an import's are written in step 2) and the
        # version tables
        landing = self.store.landing_folder()
        if self.workbook is not None:
            files = {seed: seed_path(self.folder, seed) for seed in WORKBOOK_SEEDS}
        else:
            files = self.store.seed_files(self.record, self.folder)
        listed = [self.store.read(n) for n in self.kept if n != self.number] + [self.record]
        earlier = [n for n in self.kept if n < self.number]
        files |= versions.version_tables(self.store, landing, listed, earlier)
        try:
            with candidate(self.settings) as new:  # a new warehouse; dbt parses meanwhile
                # 2. land, dbt build and test
                if self.workbook is not None:
                    self.record.header_rows = self.workbook.read_into(self.settings, self.folder)
                dbt_vars = {"data_version": self.number, **self.record.dbt_vars()}
                new.land(files, dbt_vars)
                new.build(dbt_vars, echo=echo)
                # 3. inspect
                self._inspect(new.env)
                # 4. go live
                if go_live:
                    new.go_live()
                    self.went_live = True  # from here on, its folder is the live version's
            # 5. keep
            if self.went_live:
                self._keep()
            return new.result()
        finally:
            shutil.rmtree(landing, ignore_errors=True)
            if self.new and not self.went_live:  # a live one is kept by the next command
                shutil.rmtree(self.folder, ignore_errors=True)

    def _inspect(self, env: dict[str, str]) -> None:
        """dbt has passed, nothing is live yet: an import's summary, changes and guard (which
        may refuse it); the version's figures and the customers it serves."""
        warehouse = self.settings.served_warehouse
        if self.workbook is not None:
            self.workbook.inspect(self.settings, env, self.live)
        self.record.take_figures(read_figures(warehouse, env))
        served = self.folder / versions.CUSTOMERS_SERVED
        export_served_customers(warehouse, env, self.number, served)
        if self.new:
            self.store.write(self.record, self.folder)

    def _keep(self) -> None:
        if not self.new:
            self.store.write(self.record, self.folder)  # the figures of this build of it
        elif self.workbook is None:
            self.store.commit(self.number)  # the sample, the first version
        else:
            self._keep_import()

    def _keep_import(self) -> None:
        """The imported version kept, and the versions beyond the retention removed."""
        started = time.monotonic()
        pause_point("commit")
        try:
            self.store.commit(self.number)
        except OSError as error:
            raise ImportFailed(
                f"version {self.number} is live, but its folder could not be kept ({error}); "
                "the next import, build or rollback keeps it"
            ) from error
        pause_point("retain")
        removed = self.store.retain(self.kept)
        self.workbook.kept(removed, time.monotonic() - started)
