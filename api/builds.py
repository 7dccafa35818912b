"""The build an answer was read from: the version of the data it made live, and when.

Every build writes one row to marts.build_info: data_version (the version it made live; 0 for
a development build, a plain `dbt build`) and built_at. Answers name it in the X-Data-Version
header, and in their ETag, which changes with every build, a rebuild of the same version
included (api/data_version.py).
"""

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Build:
    version: int
    built_at: datetime | None
    # Rendered once per build, not per answer.
    version_text: str = field(init=False, repr=False, compare=False)
    tag: str = field(init=False, repr=False, compare=False)  # the ETag's opaque value
    etag: str = field(init=False, repr=False, compare=False)  # the header: the tag, quoted

    def __post_init__(self):
        tag = f"v{self.version}-{epoch_microseconds(self.built_at)}"
        object.__setattr__(self, "version_text", str(self.version))
        object.__setattr__(self, "tag", tag)
        object.__setattr__(self, "etag", f'"{tag}"')

    @classmethod
    def from_row(cls, row: dict | None) -> "Build | None":
        """The build of a build_info row (data_version, built_at); None without a row."""
        if row is None or row.get("data_version") is None:
            return None
        return cls(int(row["data_version"]), row["built_at"])


def file_identity(path) -> tuple[int, int, int, int]:
    """DuckDB: the live warehouse file's identity. A build renames a new file over the live
    one, so the identity changes with every build. Raises OSError when there is no file."""
    stat = os.stat(path)
    return (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)


def epoch_microseconds(moment: datetime | None) -> int:
    """Microseconds since 1970-01-01 UTC (the marts' naive timestamps are UTC); 0 for None."""
    if moment is None:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MICROSECOND
