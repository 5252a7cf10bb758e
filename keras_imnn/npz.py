"""Reading the .npz files a user hands us: one checked reader, so that a wrong path, a folder, a truncated
or foreign file and a missing array each fail in one line that names the file and what it should hold."""
from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np


def read_npz(path: str | os.PathLike, required: Sequence[str] = (),
             made_by: str = "numpy.savez") -> dict[str, np.ndarray]:
    """Every array of the .npz at ``path``, loaded (the file is closed on return).

    Args:
        path: the file.
        required: arrays it must hold.
        made_by: what writes such files, for the messages (e.g. "`keras-imnn generate magnet`").

    Raises:
        FileNotFoundError: no such file. IsADirectoryError: a folder.
        ValueError: not an .npz archive, damaged or truncated, or without a ``required`` array.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such data file: {path}")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; expected an .npz file")
    if not zipfile.is_zipfile(path):  # else np.load tries a .npy or a pickle and fails obscurely
        raise ValueError(f"cannot read {path}, truncated or not written by {made_by}: not an .npz archive")
    try:
        with np.load(path) as f:  # no pickles: object arrays are refused, never executed
            arrays = {key: f[key] for key in f.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise ValueError(f"cannot read {path}, truncated or not written by {made_by} "
                         f"({type(err).__name__}: {err})") from err
    missing = [key for key in required if key not in arrays]
    if missing:
        raise ValueError(f"{path} lacks {', '.join(missing)}: a file written by {made_by} holds "
                         f"{', '.join(required)} (this one: {', '.join(sorted(arrays)) or 'nothing'})")
    return arrays


def input_array(arrays: Mapping[str, np.ndarray], feature: str, path: str | os.PathLike,
                what: str = "inputs") -> np.ndarray:
    """A user file's inputs: its array named ``feature`` (the task's, e.g. "eps" or "spins"), else ``x``.

    Raises:
        ValueError: neither is there, naming the arrays the file holds.
    """
    key = next((k for k in (feature, "x") if k in arrays), None)
    if key is None:
        raise ValueError(f"{path} holds no {what}: expected an array `{feature}` or `x`; it holds "
                         f"{', '.join(sorted(arrays)) or 'nothing'}")
    return arrays[key]
