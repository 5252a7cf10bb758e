"""Labelled photonic-crystal examples: random cells with their TM/TE bands and gaps.

numpy only (no Keras/TensorFlow), shared by the TFDS builder ``photonic_crystals`` and by
``keras-imnn generate photonic``, so both write the same numbers. Work is split in chunks of
consecutive cell indices; each chunk is solved in its own process and can be cached as an ``.npz``
file, so an interrupted generation restarts where it stopped.

Labels (all frequencies ωa/2πc, k in reciprocal-lattice units, see ``solver.band_structure``):
``tm_bands``/``te_bands`` ``(n_k, n_bands)`` on ``k_grid(k_grid_n)``; ``*_gaps``/``*_midgaps``
``(n_bands - 1,)`` between consecutive bands over that grid; ``*_gap``/``*_midgap`` the pair
(1, 2). The solver itself solves only the k-points that a cell's symmetry leaves irreducible
(45 of 256 for the C4v cells of ``gapped``, 130 with time reversal alone for ``sibcl``).
"""
from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice, pairwise
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from keras_imnn.physics.photonic.cells import sample_unit_cells
from keras_imnn.physics.photonic.solver import (
    DEFAULT_N_MAX,
    band_gaps,
    band_structure,
    k_grid,
)

#: Array names of one example set, in the order they are written.
FIELDS = (
    "eps", "tm_bands", "te_bands", "tm_gaps", "tm_midgaps", "te_gaps", "te_midgaps",
    "tm_gap", "tm_midgap", "te_gap", "te_midgap",
    "eps_background", "eps_inclusion", "filling", "seed", "index",
)
#: Edges of the label histogram of the TM gap-to-midgap ratio between bands 1 and 2.
RATIO_BINS = (0.0, 1e-9, 0.05, 0.1, 0.2, 0.3, 0.4)


#: Plane-wave cutoff of each config's datasets (None: the solver's defaults, TM 5 and TE 6).
#: ``sibcl`` cells have no symmetry to exploit (130 instead of 45 k-points), so TE runs at 5 there
#: to keep 20 000 cells under 2 h on 2 cores (within the accuracy targets on the reference cells;
#: 3 % on TE band 2 at ε contrast 20, still better than MPB at resolution 32).
DATASET_N_MAX: dict[str, int | None] = {"gapped": None, "sibcl": 5}


@dataclass(frozen=True)
class SolverSettings:
    """How labels are computed.

    n_bands: bands kept per polarization. k_grid_n: labels on ``k_grid(k_grid_n)`` (even).
    n_max: plane-wave cutoff of the PWE solver for both polarizations, (2·n_max + 1)² plane
    waves; None (the datasets' setting) takes the solver's defaults, TM 5 and TE 6, which are
    within the accuracy targets against converged MPB on every reference cell (see the README).
    Tests use small values to stay fast.
    """

    n_bands: int = 10
    k_grid_n: int = 16
    n_max: int | None = None

    def __post_init__(self) -> None:
        if self.k_grid_n < 2 or self.k_grid_n % 2:
            raise ValueError(f"k_grid_n must be an even integer >= 2, got {self.k_grid_n!r}")
        if self.n_bands < 2:
            raise ValueError(f"n_bands must be >= 2 to define a gap, got {self.n_bands!r}")

    def cutoff(self, polarization: str) -> int:
        """The plane-wave cutoff used for ``polarization``."""
        return DEFAULT_N_MAX[polarization] if self.n_max is None else self.n_max


def label_cells(eps: np.ndarray,
                settings: SolverSettings = SolverSettings()) -> dict[str, np.ndarray]:
    """Bands and gaps of ``(b, 32, 32)`` cells (keys and shapes: the module docstring)."""
    grid = k_grid(settings.k_grid_n)
    out: dict[str, np.ndarray] = {}
    for pol in ("tm", "te"):
        bands = band_structure(eps, grid, settings.n_bands, pol, n_max=settings.cutoff(pol),
                               progress=False)
        gaps, midgaps = band_gaps(bands)
        out.update({f"{pol}_bands": bands, f"{pol}_gaps": gaps, f"{pol}_midgaps": midgaps,
                    f"{pol}_gap": gaps[:, 0], f"{pol}_midgap": midgaps[:, 0]})
    return out


def make_examples(config: str, seed: int, start: int, n: int,
                  settings: SolverSettings = SolverSettings()) -> dict[str, np.ndarray]:
    """Cells ``start .. start + n - 1`` of ``config`` with ``seed``, labelled (float32 / int64).

    Keys: ``FIELDS``. ``eps`` is ``(n, 32, 32)``; ``seed`` and ``index`` regenerate a cell with
    ``sample_unit_cells(1, config, seed, start=index)``.
    """
    cells = sample_unit_cells(n, config, seed, start)
    out = label_cells(cells.eps, settings)
    out.update(eps=cells.eps, eps_background=cells.eps_background,
               eps_inclusion=cells.eps_inclusion, filling=cells.filling)
    arrays = {key: np.asarray(value, dtype=np.float32) for key, value in out.items()}
    arrays["seed"] = np.full(n, seed, dtype=np.int64)
    arrays["index"] = np.arange(start, start + n, dtype=np.int64)
    return {key: arrays[key] for key in FIELDS}


def _chunk_job(job: tuple[str, int, int, int, SolverSettings, str | None]) -> dict[str, np.ndarray]:
    """One chunk, read from its cache file if a previous run finished it (a process-pool task)."""
    config, seed, start, n, settings, cache_dir = job
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"{config}-s{seed}-{start:09d}-{n}.npz"
        if path.exists():
            with np.load(path) as cached:
                return {key: cached[key] for key in FIELDS}
    examples = make_examples(config, seed, start, n, settings)  # the solver uses 1 BLAS thread
    if path is not None:
        partial = path.with_suffix(".partial.npz")
        np.savez(partial, **examples)
        partial.replace(path)  # atomic: a killed run never leaves a truncated chunk behind
    return examples


def default_workers() -> int:
    """Cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def chunk_ranges(start: int, n: int, chunk_size: int) -> list[tuple[int, int]]:
    """``(chunk_start, chunk_n)`` covering indices ``start .. start + n - 1``."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size!r}")
    return [(s, min(chunk_size, start + n - s)) for s in range(start, start + n, chunk_size)]


def generate_chunks(config: str, seed: int, start: int, n: int,
                    settings: SolverSettings = SolverSettings(), *, chunk_size: int = 25,
                    workers: int | None = None, cache_dir: str | os.PathLike | None = None,
                    progress: bool = True, desc: str | None = None
                    ) -> Iterator[dict[str, np.ndarray]]:
    """Yield labelled chunks of cells ``start .. start + n - 1`` in index order.

    Chunks run in ``workers`` processes (default: all cores; 1 runs in this process). With
    ``cache_dir`` each finished chunk is saved there and reused by a rerun, which makes an
    interrupted generation restartable; the caller removes the folder when done.
    """
    sample_unit_cells(0, config, seed, start)  # validates config, seed and start before forking
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers!r}")
    if cache_dir is not None:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        cache_dir = str(cache_dir)
    jobs = [(config, seed, s, m, settings, cache_dir)
            for s, m in chunk_ranges(start, n, chunk_size)]
    bar = tqdm(total=n, unit="cell", desc=desc or f"photonic {config}", disable=not progress)
    with bar:
        if workers == 1 or len(jobs) == 1:
            results: Iterator[dict[str, np.ndarray]] = map(_chunk_job, jobs)
            for chunk in results:
                bar.update(len(chunk["index"]))
                yield chunk
            return
        # spawn, not fork: the parent may hold TensorFlow threads (TFDS), which fork would copy.
        with multiprocessing.get_context("spawn").Pool(min(workers, len(jobs))) as pool:
            # At most two chunks per worker in flight (not Pool.imap, which queues every chunk):
            # a consumer that stops early (TFDS max_examples_per_split) leaves idle workers,
            # not ones that keep solving the rest of the split.
            queue = iter(jobs)
            pending = deque(pool.apply_async(_chunk_job, (job,))
                            for job in islice(queue, 2 * workers))
            while pending:
                chunk = pending.popleft().get()
                pending.extend(pool.apply_async(_chunk_job, (job,)) for job in islice(queue, 1))
                bar.update(len(chunk["index"]))
                yield chunk
            pool.close()  # let the workers exit on their own; `with` alone would terminate them
            pool.join()


def generate(config: str, n: int, seed: int = 0, settings: SolverSettings = SolverSettings(),
             **kwargs) -> dict[str, np.ndarray]:
    """``n`` labelled cells (indices 0 .. n-1) in one dict; ``kwargs`` go to generate_chunks."""
    chunks = list(generate_chunks(config, seed, 0, n, settings, **kwargs))
    if not chunks:
        return make_examples(config, seed, 0, 0, settings)
    return {key: np.concatenate([c[key] for c in chunks]) for key in FIELDS}


def label_statistics(tm_gap: np.ndarray, tm_midgap: np.ndarray) -> dict[str, object]:
    """Fraction of cells with a TM gap between bands 1 and 2, and the histogram of gap/midgap.

    Returns ``{"n", "gap_fraction", "bins", "counts", "ratio_mean_gapped"}``: ``counts[i]`` cells
    have a ratio in ``[bins[i], bins[i+1])``, the last bin open-ended; the first bin holds the
    cells without a gap.
    """
    gap = np.asarray(tm_gap, dtype=np.float64)
    ratio = gap / np.asarray(tm_midgap, dtype=np.float64)
    edges = np.array(RATIO_BINS + (np.inf,))
    counts, _ = np.histogram(ratio, bins=edges)
    gapped = gap > 0
    return {
        "n": int(gap.size),
        "gap_fraction": float(gapped.mean()) if gap.size else 0.0,
        "bins": list(RATIO_BINS),
        "counts": counts.tolist(),
        "ratio_mean_gapped": float(ratio[gapped].mean()) if gapped.any() else 0.0,
    }


def format_histogram(stats: dict[str, object]) -> str:
    """A Markdown table of :func:`label_statistics`."""
    bins = stats["bins"]
    names = ["0 (no gap)", f"(0, {bins[2]:g})"]
    names += [f"[{lo:g}, {hi:g})" for lo, hi in pairwise(bins[2:])] + [f"≥ {bins[-1]:g}"]
    rows = [f"| {name} | {count} | {count / max(stats['n'], 1):.1%} |"
            for name, count in zip(names, stats["counts"])]
    return "\n".join(["| TM gap / midgap (bands 1–2) | cells | share |", "|---|---|---|", *rows])

