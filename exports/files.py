"""Export files on disk: written under a temporary name and renamed into place, so nothing
half-written is ever served; anything a crash left behind is swept away."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

PARTIAL = ".partial"  # suffix of files still being written
DEBRIS_AGE_SECONDS = 6 * 3600  # a partial file this old belongs to an export that died
ORPHAN_AGE_SECONDS = 600  # a finished file the history does not know yet may be seconds old


def new_name(extension: str) -> str:
    """A stored file name nobody can guess (downloads go through a permission check anyway)."""
    return f"{secrets.token_hex(16)}.{extension}"


def write_atomically(folder: Path, name: str, write: Callable[[BinaryIO], None]) -> int:
    """Call `write` with a file open under a temporary name, then rename it to `name`.

    On any error (a crash inside the writer, a cancel) the temporary file is removed and the
    error re-raised; `name` never exists half-written. Returns the file's size.
    """
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / name
    temporary = folder / f"{name}.{os.getpid()}{PARTIAL}"
    try:
        with open(temporary, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return final.stat().st_size


def write_to(target, write: Callable[[BinaryIO], None]) -> None:
    """Call `write` with `target` when it is a binary file object; when it is a path, write it
    in place atomically (`write_atomically`). Every export writer takes either."""
    if isinstance(target, str | os.PathLike):
        path = Path(target)
        write_atomically(path.parent, path.name, write)
    else:
        write(target)


def stored_path(folder: Path, name: str) -> Path:
    """The path of a stored export; refuses names that would leave the folder."""
    if not name or "/" in name or "\\" in name or name.startswith(".") or name.endswith(PARTIAL):
        raise ValueError("not an export file name")
    return folder / name


def sweep(folder: Path, keep: set[str], now: float | None = None) -> list[str]:
    """Remove files the history no longer points at, and partial files older than
    `DEBRIS_AGE_SECONDS` (their export died). Returns the names removed."""
    if not folder.is_dir():
        return []
    now = time.time() if now is None else now
    removed = []
    for path in folder.iterdir():
        if not path.is_file() or path.name in keep:
            continue
        age = now - path.stat().st_mtime
        if age < (DEBRIS_AGE_SECONDS if path.name.endswith(PARTIAL) else ORPHAN_AGE_SECONDS):
            continue  # still being written, or renamed a moment before its job is marked done
        path.unlink(missing_ok=True)
        removed.append(path.name)
    return removed
