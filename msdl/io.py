"""Atomic file output: nothing half-written is ever taken as done.

Every writer in msdl writes to a temporary name in the destination folder and renames
it into place when complete (``os.replace`` is atomic on POSIX within one file system),
so a crash or kill leaves either the old file, the new file, or a stray ``.tmp-*`` file
that no reader looks at.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Iterator

_UMASK = os.umask(0o022)  # read the process umask (os.umask sets and returns it) ...
os.umask(_UMASK)  # ... and put it back
FILE_MODE = 0o666 & ~_UMASK  # what open() would give a new file: mkstemp's 0600 is not kept


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    On an exception the temporary file is removed and ``path`` is left untouched.
    The temporary name keeps the suffix of ``path`` so that writers which add or check
    suffixes (``np.save``, matplotlib) behave as for the real name. The file gets the
    permissions a plain ``open()`` would give it (:data:`FILE_MODE`, from the umask), not
    the temporary file's 0600, so results on a shared file system stay readable by the
    group as usual. Temporary files of
    the same destination left by a killed writer are removed first (one writer per
    destination at a time, as Snakemake guarantees).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".tmp-{path.stem}-*{path.suffix}"):
        stale.unlink(missing_ok=True)  # left by a writer of this same file that was killed
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, FILE_MODE)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_json(path: str | os.PathLike, data: object) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 22) -> str:
    """Hex SHA-256 of a file's bytes, read in 4 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
