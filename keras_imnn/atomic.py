"""Outputs that appear whole or not at all: write under a temporary name, then rename; and the checked
reader of the JSON ones.

A rename within one filesystem is atomic (POSIX ``rename``), so a reader, a kill or a full disk
never leaves a truncated or half-updated output under its final name. numpy only, no Keras.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

_REQUIRED = object()


def _new_beside(path: Path, suffix: str, make: Callable[[Path], None]) -> Path:
    """``make`` a new ``.NAME.<random>SUFFIX`` beside ``path`` (retrying on a name clash) and return it.

    Unlike ``tempfile.mkstemp``/``mkdtemp`` (mode 0600/0700), the caller picks the mode, so the kernel
    applies the umask as it does for a plain ``open()``/``mkdir()``: the final output gets the usual mode.
    """
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}{suffix}"
        try:
            make(tmp)
            return tmp
        except FileExistsError:
            continue


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on error it is removed.

    The temporary name keeps ``path``'s suffix (numpy and h5py pick the format by it)::

        with atomic_path("out/data.npz") as tmp:
            np.savez(tmp, x=x)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_beside(path, f".tmp{path.suffix}",
                      lambda p: os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)))
    try:
        yield tmp
        with open(tmp, "rb+") as f:  # the bytes are on disk before the name points at them
            os.fsync(f.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``path``; on success it replaces ``path`` as a whole.

    For outputs of several files (train/test/metadata of one run): a reader sees the old folder or
    the new one, never a mix. An existing ``path`` is moved aside first and deleted only once the new
    folder is in place; on error the temporary folder is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_beside(path, ".tmp", lambda p: p.mkdir(0o777))
    old = None
    try:
        yield tmp
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            path.replace(old / path.name)
        tmp.replace(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def read_json(path: str | os.PathLike, default: Any = _REQUIRED) -> Any:
    """The JSON in ``path`` (results, settings, run records written with ``atomic_write_text``); ``default``
    if given and ``path`` does not exist. A file that is not JSON (hand-edited, or not ours) is a
    ``ValueError`` naming it, not json's bare "Expecting value: line 1 column 1"."""
    path = Path(path)
    if default is not _REQUIRED and not path.exists():
        return default
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError
        raise ValueError(f"{path} is not valid JSON ({err}): fix or remove it") from None


def check_out(out: str | os.PathLike, overwrite: bool = False, inputs: Iterable[str | os.PathLike | None] = ()) -> None:
    """Refuse, before any work, an output folder that would fail to be written or would replace what it must not.

    ``out`` may exist only as an empty folder unless ``overwrite``; even then it may not hold one of the command's
    own ``inputs`` (replacing the folder would delete them). Writability is tried, not read from permission bits
    (root ignores those): a temporary folder is made where ``atomic_dir`` will make its own, in the nearest folder
    that exists.
    """
    out = Path(out)
    if out.exists() and not overwrite and not (out.is_dir() and not any(out.iterdir())):
        raise FileExistsError(f"{out} already exists; choose another output folder, or overwrite it "
                              f"(--overwrite replaces the whole folder)")
    if out.is_dir():
        folder = out.resolve()
        inside = [p for p in inputs if p is not None and folder in (Path(p).resolve(), *Path(p).resolve().parents)]
        if inside:
            raise ValueError(f"{out} holds {inside[0]}, an input of this command, which replacing the folder would "
                             f"delete; write to another folder")
    check_writable(out)


def check_out_file(out: str | os.PathLike, overwrite: bool = False,
                   inputs: Iterable[str | os.PathLike | None] = ()) -> None:
    """Refuse, before any work, an output file that exists (unless ``overwrite``), is a folder, is one of the
    command's own ``inputs`` (even with ``overwrite``: a failed run would have consumed them), or cannot be written."""
    out = Path(out)
    if out.is_dir():
        raise IsADirectoryError(f"{out} is a folder; give the path of a file to write")
    if any(p is not None and Path(p).resolve() == out.resolve() for p in inputs):
        raise ValueError(f"{out} is an input of this command; write the result to another file")
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} already exists; choose another file, or pass --overwrite to replace it")
    check_writable(out)


def check_writable(out: str | os.PathLike) -> None:
    """Refuse an output path whose nearest existing folder cannot be written (tried, not read from the mode bits)."""
    parent = Path(out).absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise NotADirectoryError(f"cannot write {out}: {parent} is a file, not a folder")
    try:
        os.rmdir(tempfile.mkdtemp(dir=parent))
    except OSError as err:
        raise PermissionError(f"cannot write {out}: {parent} is not writable ({err.strerror})") from err


class OutputLockedError(FileExistsError):
    """Another live process is writing the same output."""


@contextlib.contextmanager
def output_lock(out: str | os.PathLike) -> Iterator[Path]:
    """Hold ``.NAME.lock`` beside ``out`` while a command writes it, so two writers of one output cannot both run
    (the second would replace the first's result unasked).

    The lock file is created atomically (``O_CREAT | O_EXCL``) and holds the owner's pid; a lock whose process no
    longer runs (killed) is stale and taken over. Yields the lock file's path; it is removed on exit.
    """
    out = Path(out)
    lock = out.absolute().parent / f".{out.name}.lock"
    check_writable(out)  # a parent that is a file or read-only is named as such, not as a failed lock
    lock.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(2):
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            break
        except FileExistsError:
            pid = _lock_owner(lock)
            if attempt or pid is None or _alive(pid):
                owner = f"process {pid}" if pid is not None else "another process"
                raise OutputLockedError(f"{out} is being written by {owner} (lock {lock}); wait for it to end or "
                                        "choose another output, or remove the lock if no such run is going on"
                                        ) from None
            lock.unlink(missing_ok=True)  # stale: its writer was killed
    with os.fdopen(fd, "w") as f:
        f.write(str(os.getpid()))
    try:
        yield lock
    finally:
        lock.unlink(missing_ok=True)


def _lock_owner(lock: Path) -> int | None:
    try:
        return int(lock.read_text().strip())
    except (OSError, ValueError):  # being written this instant, or not ours
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True
