"""Uploaded files between the preview and the import, in a folder shared with the workers.

A file is stored under a random id that the server chooses (`<id>.csv`, `<id>.xlsx`), next to a small
record of who uploaded it, the name they gave it and its latest preview (`<id>.json`). The
browser holds only the id; every use checks its form, that the file is there, and that it
belongs to the user asking, so no path and no owner is ever taken from the browser. Files
older than a day are pruned.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import datetime as dt
import json
import os
import re
import secrets
from pathlib import Path

from data.upload_limits import MB, UploadError
from data.upload_plan import ImportPlan, parse_plan
from data.upload_preview import UploadPreview
from data.upload_source import CSV_SUFFIXES, XLSX_SUFFIXES
from data.upload_types import KINDS

UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
KEEP_FOR = dt.timedelta(days=1)
MAX_FILE_NAME_CHARS = 200
GONE = ("This upload is no longer available: uploads are kept for a day, and a file is removed "
        "once imported. Upload the file again.")


@dataclasses.dataclass(frozen=True)
class StoredUpload:
    """An upload on disk: its id, the file, the name the user gave it, and its owner."""

    id: str
    path: Path
    file_name: str
    owner_id: int
    preview: UploadPreview | None


def _suffix(file_name: str) -> str:
    """The suffix the stored file keeps (readers such as openpyxl go by it): the user's, if it
    is one we read, else `.upload`."""
    suffix = Path(file_name).suffix.lower()
    return suffix if suffix in CSV_SUFFIXES + XLSX_SUFFIXES else ".upload"


def _paths(folder: Path, upload_id: str, file_name: str) -> tuple[Path, Path]:
    return folder / f"{upload_id}{_suffix(file_name)}", folder / f"{upload_id}.json"


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary name, then rename: nobody ever reads half a file."""
    partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def too_large(size: int, max_bytes: int) -> UploadError:
    """The refusal of a file of `size` bytes, as `upload_limits.check_file_size` words it."""
    return UploadError(f"The file is {size / MB:,.1f} MB; uploads are limited to {max_bytes / MB:,.0f} MB.")


def decode_upload(contents: object, max_bytes: int) -> bytes:
    """The bytes of a dcc.Upload data URL; the size is checked before anything is decoded (the
    browser's own limit can be bypassed). Raises `UploadError`."""
    _, separator, encoded = contents.partition(";base64,") if isinstance(contents, str) else ("", "", "")
    if not separator:
        raise UploadError("The file could not be read. Upload it again.")
    size = len(encoded) * 3 // 4 - encoded.count("=", -2)
    if size > max_bytes:
        raise too_large(size, max_bytes)
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise UploadError("The file could not be read. Upload it again.") from None


def plain_file_name(file_name: object) -> str:
    """The user's file name, without any folder, for messages and to read its suffix."""
    name = Path(str(file_name or "")).name.strip()[:MAX_FILE_NAME_CHARS]
    return name or "upload"


def save_upload(folder: Path, data: bytes, file_name: str, owner_id: int, max_bytes: int) -> StoredUpload:
    """Store `data` under a new random id, for `owner_id`; raises `UploadError` if it is empty
    or larger than `max_bytes`."""
    if not data:
        raise UploadError("The file is empty.")
    if len(data) > max_bytes:
        raise too_large(len(data), max_bytes)
    folder.mkdir(parents=True, exist_ok=True)
    upload_id = secrets.token_hex(16)
    path, record = _paths(folder, upload_id, plain_file_name(file_name))
    _write_atomically(path, data)
    upload = StoredUpload(upload_id, path, plain_file_name(file_name), owner_id, None)
    _write_atomically(record, json.dumps({"owner": owner_id, "file_name": upload.file_name}).encode())
    return upload


def remember_preview(folder: Path, upload: StoredUpload, preview: UploadPreview) -> StoredUpload:
    """Keep `preview` with the upload: the import builds its plan from it, not from the browser."""
    record = folder / f"{upload.id}.json"
    _write_atomically(record, json.dumps({"owner": upload.owner_id, "file_name": upload.file_name,
                                          "preview": preview.model_dump(mode="json")}).encode())
    return dataclasses.replace(upload, preview=preview)


def load_upload(folder: Path, upload_id: object, owner_id: int) -> StoredUpload:
    """The upload `upload_id` of `owner_id`; raises `UploadError` (one message) if the id is not
    one the server made, the file is gone, or it belongs to someone else."""
    if not isinstance(upload_id, str) or not UPLOAD_ID.fullmatch(upload_id):
        raise UploadError(GONE)
    try:
        fields = json.loads((folder / f"{upload_id}.json").read_text())
    except (OSError, ValueError):
        raise UploadError(GONE) from None
    file_name = plain_file_name(fields.get("file_name"))
    path, _ = _paths(folder, upload_id, file_name)
    if fields.get("owner") != owner_id or not path.is_file():
        raise UploadError(GONE)
    preview = UploadPreview.model_validate(fields["preview"]) if fields.get("preview") else None
    return StoredUpload(upload_id, path, file_name, owner_id, preview)


def discard_upload(folder: Path, upload_id: object) -> None:
    """Remove an upload's file and record, if the id is one of ours and they are there."""
    if isinstance(upload_id, str) and UPLOAD_ID.fullmatch(upload_id):
        for path in folder.glob(f"{upload_id}.*"):
            path.unlink(missing_ok=True)


def prune_uploads(folder: Path, now: dt.datetime | None = None, keep_for: dt.timedelta = KEEP_FOR) -> int:
    """Remove uploads (and stray partial files) last written more than `keep_for` ago; returns
    how many files were removed."""
    if not folder.is_dir():
        return 0
    cutoff = (now or dt.datetime.now(dt.UTC).replace(tzinfo=None)) - keep_for
    removed = 0
    for path in folder.iterdir():
        with contextlib.suppress(OSError):  # another process may have removed it meanwhile
            modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).replace(tzinfo=None)
            if path.is_file() and modified < cutoff:
                path.unlink()
                removed += 1
    return removed


def plan_from_choices(preview: UploadPreview, names: object, kinds: object, includes: object,
                      time_position: object) -> ImportPlan:
    """The import plan made from what the browser sent (per column: a name, a kind, whether to
    import it; and the time column's position) and the preview kept on the server, which gives
    each column's name in the file and the exact types that fit it. Raises `UploadError`."""
    columns = preview.columns
    choices = (names, kinds, includes)
    if not all(isinstance(values, list) and len(values) == len(columns) for values in choices):
        raise UploadError("The import settings do not match the file's columns. Upload the file again.")
    planned = []
    for column, name, kind, include in zip(columns, names, kinds, includes, strict=True):
        name = name.strip() if isinstance(name, str) else ""
        if include and not name:
            raise UploadError(f'Give the column "{column.name}" a name, or leave it out.')
        column_type = column.type_of_kind(kind).model_dump() if kind in KINDS else {"kind": str(kind)}
        planned.append({"source": column.name, "name": name or column.name, "type": column_type,
                        "include": include is True})
    time_column = None
    if time_position not in (None, ""):
        position = int(time_position) if str(time_position).isdigit() else -1
        if not 0 <= position < len(columns):
            raise UploadError("Choose the time column from the list.")
        if not planned[position]["include"]:
            raise UploadError(f'The time column "{planned[position]["name"]}" is left out: import it, or '
                              "choose another time column.")
        time_column = planned[position]["name"]
    return parse_plan({"columns": planned, "time_column": time_column, "sheet": preview.sheet})
