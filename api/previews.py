"""The uploaded workbooks waiting to be published: one folder per preview, shared by every
worker (a publish may reach another worker than the upload did).

`<API_PREVIEW_DIR>/<preview_id>/` holds `workbook/<the uploaded name>` (its last path part,
any script, characters a file name cannot hold replaced, cut to MAX_NAME_BYTES keeping the
extension), `.fixit.xlsx` (its quarantined rows, `interactions import --fixit`), `.lock`
(locked by the upload's process until the preview is kept or discarded) and `preview.json`
(when it was made, the live version it was previewed against), written last under a
temporary name then renamed: a folder without it is no preview. A preview expires
PREVIEW_SECONDS after it was made. Whenever a new upload arrives, expired folders are removed,
and so are unfinished ones whose lock nobody holds (an upload killed midway); an upload still
under way holds its lock. Publishing removes its preview.
"""

import fcntl
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from api.answer_store import private_folder

PREVIEW_SECONDS = 3600
ID_PATTERN = re.compile(r"[0-9a-f]{32}")
RECORD = "preview.json"
FIXIT = ".fixit.xlsx"  # the fix-it workbook of its quarantined rows
WORKBOOK = "workbook"  # the folder of the uploaded workbook, alone in it
LOCK = ".lock"
DEFAULT_NAME = "workbook.xlsx"
MAX_NAME_BYTES = 200  # of the saved name, in UTF-8 (file systems hold 255)
# Characters a saved name keeps: letters and digits of any script, space, and . _ - ( ).
_UNSAFE = re.compile(r"[^\w .()-]|_{2,}")


def saved_name(file_name: str) -> str:
    """The name an upload is saved under: the client's name without any folder, its
    characters that are not letters, digits, space or . _ - ( ) replaced by "_", no leading
    dot or space, at most MAX_NAME_BYTES bytes (the extension kept); DEFAULT_NAME if empty."""
    name = re.split(r"[/\\]", file_name)[-1]
    name = _UNSAFE.sub("_", name).strip().lstrip(". ")
    if len(name.encode()) > MAX_NAME_BYTES:
        stem, dot, extension = name.rpartition(".")
        if not dot or len(extension.encode()) > 16:
            stem, extension = name, ""
        room = MAX_NAME_BYTES - len(extension.encode()) - 1
        stem = stem.encode()[:room].decode(errors="ignore")
        name = f"{stem}.{extension}" if extension else stem
    return name or DEFAULT_NAME


@dataclass(frozen=True)
class Preview:
    preview_id: str
    workbook: Path
    live_version: int | None  # what was live when it was previewed
    created: float  # epoch seconds


class PreviewStore:
    def __init__(self, folder: Path):
        self.folder = folder
        self._locks = {}  # preview id -> the open lock file of an upload under way

    def new(self, file_name: str, save) -> tuple[str, Path]:
        """A new preview's id and the path its workbook is saved to (by save(path)); the
        preview is under way (locked) until keep() or discard()."""
        private_folder(self.folder, "another user could otherwise publish its own workbook")
        self.remove_expired()
        preview_id = secrets.token_hex(16)
        folder = self.folder / preview_id
        folder.mkdir(mode=0o700)
        lock = open(folder / LOCK, "w")  # noqa: SIM115 - held until keep() or discard()
        fcntl.flock(lock, fcntl.LOCK_EX)
        self._locks[preview_id] = lock
        try:
            (folder / WORKBOOK).mkdir(mode=0o700)
            path = folder / WORKBOOK / saved_name(file_name)
            save(path)
        except BaseException:
            self.discard(preview_id)
            raise
        return preview_id, path

    def keep(self, preview_id: str, live_version: int | None) -> None:
        """The preview can be published from now on."""
        folder = self.folder / preview_id
        record = {"created": time.time(), "live_version": live_version}
        temporary = folder / f".{RECORD}.tmp"
        temporary.write_text(json.dumps(record))
        os.replace(temporary, folder / RECORD)
        self._unlock(preview_id)

    def under_way(self, preview_id: str) -> bool:
        """Whether this store made the preview and has neither kept nor discarded it."""
        return preview_id in self._locks

    def _unlock(self, preview_id: str) -> None:
        lock = self._locks.pop(preview_id, None)
        if lock is not None:
            lock.close()

    def get(self, preview_id: str) -> Preview | None:
        """The preview, or None: unknown, unfinished or expired (then removed)."""
        if not ID_PATTERN.fullmatch(preview_id):
            return None
        folder = self.folder / preview_id
        try:
            record = json.loads((folder / RECORD).read_text())
        except (OSError, ValueError):
            return None
        if time.time() - record["created"] > PREVIEW_SECONDS:
            self.discard(preview_id)
            return None
        try:
            workbooks = list((folder / WORKBOOK).iterdir())
        except OSError:
            return None
        if len(workbooks) != 1:
            return None
        return Preview(preview_id, workbooks[0], record["live_version"], record["created"])

    def fixit(self, preview_id: str) -> Path:
        """Where the preview's fix-it workbook is written."""
        return self.folder / preview_id / FIXIT

    def discard(self, preview_id: str) -> None:
        shutil.rmtree(self.folder / preview_id, ignore_errors=True)
        self._unlock(preview_id)

    def remove_expired(self) -> None:
        """Remove the expired previews, and the unfinished ones no upload is working on."""
        now = time.time()
        for folder in self.folder.iterdir():
            try:
                made = folder.stat().st_mtime
            except OSError:
                continue
            if now - made > PREVIEW_SECONDS or _abandoned(folder, now - made):
                shutil.rmtree(folder, ignore_errors=True)


# A folder without its lock file is an upload's for this long at most (it makes the lock file
# right after the folder); after that, one killed in between.
UNLOCKED_SECONDS = 60


def _abandoned(folder: Path, age: float) -> bool:
    """An unfinished preview (no record) whose lock no upload holds: killed midway."""
    if (folder / RECORD).exists():
        return False
    try:
        with open(folder / LOCK) as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # an upload under way
    except FileNotFoundError:
        return age > UNLOCKED_SECONDS
    except OSError:
        return False
    return not (folder / RECORD).exists()
