"""The band solver's TM 1-2 gap of a config's cells, in resumable chunks: labels for retraining the gap models.

    python benchmarks/label_tm.py OUT_DIR CONFIG START N [--chunk 250] [--worker I --workers K]

writes ``OUT_DIR/<CONFIG>_tm_<start>.npz`` (``eps``, ``tm_gap``, ``tm_midgap``, ``family``) for each chunk of
cells START..START+N-1 of CONFIG seed 0, labelled like the config's dataset (cutoff ``DATASET_N_MAX``,
``k_grid(16)``) but for TM bands 1-2 alone: ~0.4-0.5 CPU s a cell at n_max 7, against ~2.5 s for the dataset's
10 TM and 10 TE bands. K processes with ``--worker 0`` .. ``K-1`` share the chunks; a chunk already on disk is
skipped, and each is written atomically, so a killed run resumes where it stopped.
"""
from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np

from keras_imnn.physics.photonic import dataset
from keras_imnn.physics.photonic.cells import sample_unit_cells
from keras_imnn.physics.photonic.commands import write_arrays
from keras_imnn.physics.photonic.solver import band_gaps, band_structure, k_grid


def chunk_path(out: Path, config: str, start: int) -> Path:
    return out / f"{config}_tm_{start}.npz"


def chunk_start(path: Path, config: str) -> int | None:
    """The first cell of ``path`` if it is a chunk of ``config`` (named by :func:`chunk_path`), else None."""
    m = re.fullmatch(rf"{config}_tm_(\d+)\.npz", path.name)
    return int(m[1]) if m else None


def chunks(folder: Path, config: str) -> list[Path]:
    """``folder``'s chunks of ``config`` in cell order (not a file still being written); ValueError if they do not
    follow each other (a gap, or chunks of another ``--chunk`` overlapping), which would repeat or skip cells."""
    starts = sorted(s for p in folder.iterdir() if (s := chunk_start(p, config)) is not None)
    for start, following in zip(starts, starts[1:]):
        with np.load(chunk_path(folder, config, start)) as f:
            if start + len(f["family"]) != following:
                raise ValueError(f"{folder}: {config} chunk {start} does not end where chunk {following} begins")
    return [chunk_path(folder, config, s) for s in starts]


def label_chunk(config: str, start: int, n: int) -> dict[str, np.ndarray]:
    """Cells ``start..start+n-1`` of ``config`` (seed 0) with the solver's TM gap and midgap of bands 1-2."""
    cells = sample_unit_cells(n, config, seed=0, start=start)
    settings = dataset.SolverSettings(n_max=dataset.DATASET_N_MAX[config])
    bands = band_structure(cells.eps, k_grid(settings.k_grid_n), 2, "tm", n_max=settings.cutoff("tm"),
                           progress=False)
    gaps, midgaps = band_gaps(bands)
    return {"eps": cells.eps.astype(np.float32), "tm_gap": gaps[:, 0], "tm_midgap": midgaps[:, 0],
            "family": cells.family}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("config", choices=sorted(dataset.DATASET_N_MAX))
    parser.add_argument("start", type=int)
    parser.add_argument("n", type=int)
    parser.add_argument("--chunk", type=int, default=250)
    parser.add_argument("--worker", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if args.start < 0 or args.n < 1 or args.chunk < 1 or args.workers < 1:
        parser.error("START must be >= 0 and N, --chunk and --workers >= 1")
    if not 0 <= args.worker < args.workers:
        parser.error(f"--worker must be in 0..{args.workers - 1}, got {args.worker}")
    args.out.mkdir(parents=True, exist_ok=True)
    starts = range(args.start, args.start + args.n, args.chunk)
    for start in list(starts)[args.worker::args.workers]:
        path = chunk_path(args.out, args.config, start)
        if path.exists():
            continue
        began = time.perf_counter()
        write_arrays(path, label_chunk(args.config, start, min(args.chunk, args.start + args.n - start)), {})
        print(f"{path.name}: {time.perf_counter() - began:.0f} s", flush=True)


if __name__ == "__main__":
    main()
