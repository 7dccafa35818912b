"""The uploaded workbooks waiting to be published: one folder per preview, shared by every
worker (a publish may reach another worker than the upload did).

`<API_PREVIEW_DIR>/<preview_id>/` holds the workbook under its uploaded name and
`.fixit.xlsx` (its quarantined rows, `interactions import --fixit`) and `preview.json` (when
it was made, the live version it was previewed against), written last under a temporary name
then renamed: a folder without it (an upload killed
midway) is no preview. A preview expires PREVIEW_SECONDS after it was made; expired and
unfinished folders are removed whenever a new upload arrives. Publishing removes its preview.
"""

import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from werkzeug.utils import secure_filename

from api.answer_store import private_folder

PREVIEW_SECONDS = 3600
ID_PATTERN = re.compile(r"[0-9a-f]{32}")
RECORD = "preview.json"
FIXIT = ".fixit.xlsx"  # the fix-it workbook of its quarantined rows (a dot: never the workbook)


@dataclass(frozen=True)
class Preview:
    preview_id: str
    workbook: Path
    live_version: int | None  # what was live when it was previewed
    created: float  # epoch seconds


class PreviewStore:
    def __init__(self, folder: Path):
        self.folder = folder

    def new(self, file_name: str, save) -> tuple[str, Path]:
        """A new preview's id and the path its workbook is saved to (by save(path))."""
        private_folder(self.folder, "another user could otherwise publish its own workbook")
        self.remove_expired()
        preview_id = secrets.token_hex(16)
        folder = self.folder / preview_id
        folder.mkdir(mode=0o700)
        name = secure_filename(file_name) or "workbook.xlsx"
        path = folder / name
        save(path)
        return preview_id, path

    def keep(self, preview_id: str, live_version: int | None) -> None:
        """The preview can be published from now on."""
        folder = self.folder / preview_id
        record = {"created": time.time(), "live_version": live_version}
        temporary = folder / f".{RECORD}.tmp"
        temporary.write_text(json.dumps(record))
        os.replace(temporary, folder / RECORD)

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
        workbooks = [path for path in folder.iterdir() if not path.name.startswith((".", RECORD))]
        if len(workbooks) != 1:
            return None
        return Preview(preview_id, workbooks[0], record["live_version"], record["created"])

    def fixit(self, preview_id: str) -> Path:
        """Where the preview's fix-it workbook is written."""
        return self.folder / preview_id / FIXIT

    def discard(self, preview_id: str) -> None:
        shutil.rmtree(self.folder / preview_id, ignore_errors=True)

    def remove_expired(self) -> None:
        now = time.time()
        for folder in self.folder.iterdir():
            try:
                made = folder.stat().st_mtime
            except OSError:
                continue
            if now - made > PREVIEW_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
