"""`interactions build` and `interactions rollback`: make a kept version live, atomically.

- build: rebuilds the live version from its kept seeds with the project as it is now (a
  changed model, a new rule); with nothing live, the newest kept version; with no version
  kept, the repository's seeds/ become version 1 (the sample).
- rollback N: builds version N from its kept seeds and makes it live; without N, the newest
  kept version before the live one. It deletes nothing, and no new version is made.

Both go through the same atomic build as an import (interactions/build.py: a new DuckDB file
renamed over the live one, or PostgreSQL schemas swapped in one transaction), under the build
lock, after finishing what a killed command left (versions.Store.recover). Spark keeps no
version store: `interactions build` on Spark builds seeds/, which is version 1 by definition
(data_version 1, the same marts as the first build of seeds/ on DuckDB and PostgreSQL, but
an empty data_versions).
"""

import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field

from core.settings import Settings
from interactions import versions
from interactions.build import BuildJob, BuildResult, build, build_lock
from interactions.changes import export_served_customers, read_figures


@dataclass
class Published:
    version: int | None  # None: a Spark build, which is not versioned
    previous: int | None
    result: BuildResult
    kept: list[int] = field(default_factory=list)


@contextmanager
def version_store(settings: Settings):
    """Under the build lock: the version store and the live version, once what a killed
    command left is finished or removed. Every command that changes live data starts here."""
    with build_lock(settings):
        store = versions.Store(settings)
        live = versions.live_version(settings)
        store.recover(live)
        yield store, live


def rebuild(settings: Settings, echo=True) -> Published:
    """`interactions build`."""
    if settings.served_warehouse is None:
        return Published(None, None, build(settings, echo=echo, data_version=versions.SAMPLE))
    with version_store(settings) as (store, live):
        kept = store.numbers()
        if live in kept:
            return _publish(settings, store, live, live, echo)
        if kept:
            return _publish(settings, store, kept[-1], live, echo)
        number = store.next_number(live)
        record = versions.sample_version(settings)
        record.version = number
        pending = store.new_pending(number)
        store.write(record, pending)
        return _publish(settings, store, number, live, echo, pending=pending)


def rollback(settings: Settings, number: int | None = None, echo=False) -> Published:
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
        return _publish(settings, store, number, live, echo)


def _publish(settings, store, number, live, echo, pending=None) -> Published:
    """Build version `number` from its seeds and make it live; record its figures."""
    folder = pending or store.folder(number)
    record = store.read(number, folder)
    listed = [store.read(n) for n in store.numbers() if n != number] + [record]
    landing = store.landing_folder()
    seed_files = store.seed_files(record, folder)
    earlier = [n for n in store.numbers() if n < number]
    seed_files |= versions.version_tables(store, landing, listed, earlier)

    job = PublishJob(settings, store, record, folder, pending)
    try:
        result = build(
            settings,
            job,
            echo=echo,
            seed_files=seed_files,
            data_version=number,
            locked=True,
        )
    finally:
        shutil.rmtree(landing, ignore_errors=True)
        if pending is not None and not job.went_live:  # a live one is kept by the next command
            shutil.rmtree(pending, ignore_errors=True)
    return Published(number, live, result, store.numbers())


class PublishJob(BuildJob):
    """A kept version built again: once dbt has passed, its figures are recorded; once live,
    a new version's pending folder is kept (or the kept version's figures rewritten)."""

    def __init__(self, settings, store, record, folder, pending):
        self.settings = settings
        self.store = store
        self.record = record
        self.folder = folder  # the version's folder (its pending one, for a new version)
        self.pending = pending
        self.went_live = False

    def dbt_vars(self):
        return self.record.dbt_vars()

    def check(self, env):
        record_candidate(self.settings, env, self.record, self.folder)
        if self.pending is not None:
            self.store.write(self.record, self.pending)

    def after_live(self):
        self.went_live = True
        if self.pending is not None:
            self.store.commit(self.record.version)
        else:
            self.store.write(self.record, self.folder)  # the figures of this build of it


def record_candidate(settings: Settings, env: dict[str, str], record, folder) -> None:
    """Before a build of `record`'s version goes live: its figures into `record`, and the
    customers it serves into `folder` (for the mart customer_versions of later builds)."""
    record.take_figures(read_figures(settings.served_warehouse, env))
    served = folder / versions.CUSTOMERS_SERVED
    export_served_customers(settings.served_warehouse, env, record.version, served)


def format_history(store: versions.Store, live: int | None) -> str:
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
    keep = versions.keep_versions()
    lines.append(
        f"Kept: the newest {keep} versions (IMPORT_KEEP_VERSIONS) and the live one; "
        f"store: {store.root}"
    )
    return "\n".join(lines)


def _figure(value) -> str:
    return "" if value is None else str(value)
