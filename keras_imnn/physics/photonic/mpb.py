"""Optional MPB backend: runs the ``mpb`` binary (Debian package ``mpb``) on pixel cells.

The cell is written as the HDF5 dataset ``data`` (first index along x) and read through
``epsilon-input-file`` with ``default-material`` ε = 1, as the shared reference was made
(shared/reference/README.md). Frequencies are parsed from MPB's ``tmfreqs:``/``tefreqs:`` lines.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import h5py
import numpy as np
from tqdm.auto import tqdm

_CTL = """(set! geometry-lattice (make lattice (size 1 1 no-size)))
(set! default-material (make dielectric (epsilon 1)))
(set! epsilon-input-file "cell.h5")
(set! k-points (list {k_points}))
(set! resolution {resolution})
(set! mesh-size {mesh_size})
(set! num-bands {n_bands})
(set! tolerance {tolerance})
(run-{polarization})
"""


def mpb_available() -> bool:
    """True when the ``mpb`` binary is on PATH."""
    return shutil.which("mpb") is not None


def _run_one(cell: np.ndarray, k_points: np.ndarray, n_bands: int, polarization: str,
             resolution: int, upsample: int, mesh_size: int, tolerance: float) -> np.ndarray:
    with tempfile.TemporaryDirectory(prefix="keras_imnn_mpb_") as tmp:
        grid = np.repeat(np.repeat(cell, upsample, axis=0), upsample, axis=1)
        with h5py.File(Path(tmp) / "cell.h5", "w") as f:
            f.create_dataset("data", data=grid)
        ks = " ".join(f"(vector3 {float(kx)!r} {float(ky)!r} 0)" for kx, ky in k_points)
        (Path(tmp) / "run.ctl").write_text(_CTL.format(
            k_points=ks, resolution=resolution, mesh_size=mesh_size, n_bands=n_bands,
            tolerance=tolerance, polarization=polarization))
        proc = subprocess.run(["mpb", "run.ctl"], cwd=tmp, capture_output=True, text=True,
                              check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"mpb failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    tag = f"{polarization}freqs:"
    rows = [line.split(",") for line in proc.stdout.splitlines() if line.startswith(tag)]
    # First row is the header ("tmfreqs:, k index, k1, ..."); bands start at column 6.
    freqs = np.array([[float(v) for v in r[6:]] for r in rows[1:]])
    if freqs.shape != (len(k_points), n_bands):
        raise RuntimeError(f"could not parse {tag} lines from mpb output:\n{proc.stdout[-2000:]}")
    return freqs


def mpb_band_structure(cells: np.ndarray, k_points: np.ndarray, n_bands: int,
                       polarization: str, *, resolution: int = 32, upsample: int = 1,
                       mesh_size: int = 3, tolerance: float = 1e-9,
                       n_jobs: int = 1, progress: bool = False) -> np.ndarray:
    """Bands from MPB for a batch of pixel cells.

    Args:
        cells: (b, n, n) relative permittivity (validated by the caller).
        k_points: (n_k, 2) reciprocal-lattice units.
        n_bands: bands computed and returned (MPB's highest band converges poorly: ask for
            two more than you compare).
        polarization: "tm" or "te".
        resolution: MPB grid points per lattice constant.
        upsample: repeat each pixel this many times per direction before MPB reads the cell
            (the reference uses 4 with resolution 128).
        mesh_size, tolerance: MPB's subpixel-averaging mesh and eigensolver tolerance.
        n_jobs: MPB processes run at once (one cell each).
        progress: tqdm progress bar over cells.

    Returns:
        (b, n_k, n_bands) frequencies ωa/2πc.
    """
    if not mpb_available():
        raise RuntimeError("backend='mpb' needs the MPB binary `mpb` on PATH "
                           "(Debian/Ubuntu: apt-get install mpb); use backend='pwe' otherwise")
    args = (np.asarray(k_points), n_bands, polarization, resolution, upsample, mesh_size,
            tolerance)
    with ThreadPoolExecutor(max_workers=max(1, n_jobs)) as pool:
        runs = pool.map(lambda c: _run_one(c, *args), cells)
        return np.stack(list(tqdm(runs, total=len(cells), desc=f"MPB {polarization.upper()}",
                                  unit="cell", disable=not progress)))
