"""The live build's per-customer answers, stored once per machine and build, in a file every
worker maps into memory (mmap): the operating system keeps one copy of its pages for all the
workers, so the API's memory does not grow with the number of workers, and a worker whose
build's file is already written maps it without asking the warehouse.

The file: the answers' bodies one after the other, then the sorted customer ids (int64), then
each body's offset (int64, one more than the ids: the end of the last body), then a trailer
(the number of answers, where the ids start, the magic). A lookup is a binary search of the
ids: no per-customer Python object is ever made.

A file is named by its warehouse and build (the data version and built_at, which together
name one build) and written under a lock by one worker: to a temporary name, then renamed, so
a worker maps a whole file or none. Writing a build's file removes the files of that
warehouse's other builds (a worker still mapping one keeps its pages until it lets go).
"""

import fcntl
import hashlib
import mmap
import os
import struct
from array import array
from bisect import bisect_left
from pathlib import Path

MAGIC = b"IANSWER1"
TRAILER = struct.Struct("<qq8s")  # answers, offset of the ids, magic
SUFFIX = ".answers"


class AnswerFile:
    """A mapped answer file: customer id -> the body of its answer."""

    def __init__(self, path: Path):
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size < TRAILER.size:
                raise ValueError(f"{path}: {size} bytes is too short for an answer file")
            self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        count, ids_at, magic = TRAILER.unpack_from(self._map, size - TRAILER.size)
        expected = ids_at + 8 * (2 * count + 1) + TRAILER.size
        if magic != MAGIC or ids_at % 8 or expected != size:
            self._map.close()
            raise ValueError(f"{path} is not a whole answer file")
        view = memoryview(self._map)
        self._ids = view[ids_at : ids_at + 8 * count].cast("q")
        self._offsets = view[ids_at + 8 * count : size - TRAILER.size].cast("q")
        self.path = path

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self):
        """The customer ids, ascending."""
        return iter(self._ids)

    def get(self, customer_id: int) -> bytes | None:
        ids = self._ids
        index = bisect_left(ids, customer_id)
        if index == len(ids) or ids[index] != customer_id:
            return None
        return self._map[self._offsets[index] : self._offsets[index + 1]]

    def after(self, customer_id: int, count: int) -> tuple[bytes, int | None, bool]:
        """The bodies of the first `count` customers whose id is above `customer_id`, one
        after the other; the last one's id (None: none); whether more follow."""
        ids = self._ids
        start = bisect_left(ids, customer_id + 1)
        end = min(start + count, len(ids))
        if start == end:
            return b"", None, False
        offsets = self._offsets
        return self._map[offsets[start] : offsets[end]], ids[end - 1], end < len(ids)


def write(path: Path, answers) -> int:
    """Write `answers` ((customer id, body) in ascending id order) as the answer file `path`,
    whole or not at all; the number of answers written."""
    ids, offsets = array("q"), array("q", [0])
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as file:
            for customer_id, body in answers:
                if ids and customer_id <= ids[-1]:
                    raise ValueError(f"answers out of order at customer {customer_id}")
                file.write(body)
                ids.append(customer_id)
                offsets.append(offsets[-1] + len(body))
            file.write(b"\0" * (-offsets[-1] % 8))  # the ids start on an 8-byte boundary
            ids_at = file.tell()
            file.write(ids.tobytes())
            file.write(offsets.tobytes())
            file.write(TRAILER.pack(len(ids), ids_at, MAGIC))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return len(ids)


def private_folder(folder: Path, why: str) -> None:
    """Make `folder` (mode 700) or check that it belongs to this user alone."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    status = folder.stat()
    if status.st_uid != os.getuid() or status.st_mode & 0o077:
        raise PermissionError(
            f"{folder} must belong to this user and be private to it (mode 700): {why}"
        )


class AnswerStore:
    """The folder of one warehouse's answer files (made private to this user)."""

    def __init__(self, folder: Path, warehouse_key: str):
        self.folder = folder
        self.prefix = hashlib.sha256(warehouse_key.encode()).hexdigest()[:16]

    def path_for(self, build, kind: str = "") -> Path:
        """The file of `build`'s answers of `kind` ("": GET /interactions/{id}'s)."""
        return self.folder / f"{self.prefix}-{build.tag}{'-' + kind if kind else ''}{SUFFIX}"

    def open_or_write(self, build, write_answers, kind: str = "") -> AnswerFile:
        """The answer file of `build` and `kind`: mapped if written, else written first by
        calling write_answers(path), under a lock that lets one worker write it while the
        others wait, then map it."""
        self._make_folder()
        path = self.path_for(build, kind)
        with open(path.with_name(path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if path.exists():
                try:
                    return AnswerFile(path)
                except ValueError:  # not a whole file (never renamed so): write it anew
                    path.unlink()
            for leftover in self.folder.glob(f".{path.name}.*.tmp"):  # a killed writer's
                leftover.unlink(missing_ok=True)
            write_answers(path)
            self._remove_others(build)
            return AnswerFile(path)

    def _make_folder(self):
        private_folder(self.folder, "another user could otherwise write the answers the API sends")

    def _remove_others(self, build):
        """Remove the files of this warehouse's other builds (a build's files are named
        <prefix>-<tag>, then "-<kind>" or the suffix: a tag never ends in "-")."""
        own = f"{self.prefix}-{build.tag}"
        for other in self.folder.glob(f"{self.prefix}-*"):
            name = other.name
            if not (name.startswith(own + "-") or name.startswith(own + SUFFIX)):
                other.unlink(missing_ok=True)
