"""Labelled photonic-crystal examples: random cells with their TM/TE bands and gaps.

numpy only (no Keras/TensorFlow), shared by the TFDS builder ``photonic_crystals`` and by
``keras-imnn generate photonic``, so both write the same numbers. Work is split in chunks of
consecutive cell indices, solved on worker threads (the solver's LAPACK calls release the GIL,
so threads are as fast as processes here, and there is no child process to die or to re-import
the caller's script); each finished chunk can be cached as an ``.npz`` file, so an interrupted
generation restarts where it stopped.

Labels (all frequencies ωa/2πc, k in reciprocal-lattice units, see ``solver.band_structure``):
``tm_bands``/``te_bands`` ``(n_k, n_bands)`` on ``k_grid(k_grid_n)``; ``*_gaps``/``*_midgaps``
``(n_bands - 1,)`` between consecutive bands over that grid; ``*_gap``/``*_midgap`` the pair
(1, 2); ``band_edges`` ``(32,)`` the min and max over the grid of TM and TE bands 1–8
(:func:`band_edges`, from which :func:`edge_gaps` gives the gaps of bands 1–8); ``family`` the
index of the cell's family in ``cells.FAMILIES``. The solver itself solves only the k-points that
a cell's symmetry leaves irreducible (45 of 256 for the C4v cells of ``gapped``, 130 with time
reversal alone for ``sibcl``).
"""
from __future__ import annotations

import os
import warnings
import zipfile
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice, pairwise
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from keras_imnn.atomic import atomic_path
from keras_imnn.errors import GenerationError
from keras_imnn.physics.memory import check_memory
from keras_imnn.physics.photonic.cells import sample_unit_cells
from keras_imnn.physics.photonic.solver import (
    DEFAULT_N_MAX,
    band_gaps,
    band_structure,
    k_grid,
    pwe_memory_bytes,
)

#: Array names of one example set, in the order they are written.
FIELDS = (
    "eps", "tm_bands", "te_bands", "tm_gaps", "tm_midgaps", "te_gaps", "te_midgaps",
    "tm_gap", "tm_midgap", "te_gap", "te_midgap",
    "band_edges", "eps_background", "eps_inclusion", "filling", "family", "seed", "index",
)
#: Bands per polarization in ``band_edges``.
EDGE_BANDS = 8
#: Edges of the label histogram of the TM gap-to-midgap ratio between bands 1 and 2.
RATIO_BINS = (0.0, 1e-9, 0.05, 0.1, 0.2, 0.3, 0.4)


#: Plane-wave cutoff of each config's datasets (None: the solver's defaults, TM 5 and TE 6).
#: ``sibcl`` cells have no symmetry to exploit (130 instead of 45 k-points), so TE runs at 5 there
#: to keep 20 000 cells under 2 h on 2 cores (within the accuracy targets on the reference cells;
#: 3 % on TE band 2 at ε contrast 20, still better than MPB at resolution 32). ``general`` cells
#: have features one or two pixels thin at contrast up to 20, where TM 5 / TE 5 are off by up to
#: 6 % / 11 %: 7 for both keeps 40 random general cells within 1.4 % (TM) and 2.9 % (TE) of the
#: converged bands, at 0.6 CPU s a cell, 100 min for 20 000 cells on 2 cores (thin rings stay
#: up to 6.5 % off on TE: the builder's README).
DATASET_N_MAX: dict[str, int | None] = {"gapped": None, "sibcl": 5, "general": 7, "smooth": 7,
                                            "varied": 7, "pairs": 7}


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


def band_edges(tm_bands: np.ndarray, te_bands: np.ndarray) -> np.ndarray:
    """Min and max over the k-points of TM and TE bands 1–8: ``(..., n_k, n_bands)`` → ``(..., 32)``.

    Layout: [TM b1 min, TM b1 max, TM b2 min, …,
    TM b8 max, TE b1 min, …, TE b8 max]; ``reshape(..., 2, 8, 2)`` is (polarization, band, min/max).
    With fewer than 8 bands (quick tests) all are kept: ``(..., 4 · n_bands)``. Invariant under D4
    and periodic shifts of the cell when the k-points are ``k_grid(n)``.
    """
    edges = np.stack([np.stack([b[..., :EDGE_BANDS].min(axis=-2), b[..., :EDGE_BANDS].max(axis=-2)], axis=-1)
                      for b in (np.asarray(tm_bands), np.asarray(te_bands))], axis=-3)  # (..., 2, 8, 2)
    return edges.reshape(*edges.shape[:-3], -1)


def free_photon_edges(k_grid_n: int = 16) -> np.ndarray:
    """:func:`band_edges` ``(32,)`` of a uniform ε = 1 cell on ``k_grid(k_grid_n)``: the free photon's ω = |k + G|
    (reciprocal-lattice units) folded into the Brillouin zone.

    By the min–max principle every band of a cell with ε in [ε_min, ε_max] lies between these bands / √ε_max and
    / √ε_min (ε scales ω of a uniform cell by 1 / √ε, and more ε anywhere lowers every band), so these bound
    each of its 32 edges.
    """
    g = np.arange(-3, 4)  # |G| <= 3 holds the lowest 8 bands of every k in the zone
    lattice = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2)
    omega = np.sort(np.linalg.norm(k_grid(k_grid_n)[:, None] + lattice[None], axis=-1), axis=1)[:, :EDGE_BANDS]
    return band_edges(omega, omega)


def edge_gaps(edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gaps and midgaps of bands b, b+1 (b = 1..7) from :func:`band_edges`, each ``(..., 2, 7)``
    (TM, TE; b).

    gap = max(0, min_{b+1} − max_b), midgap = (min_{b+1} + max_b) / 2: the arithmetic of
    ``solver.band_gaps``, so on the same bands the numbers agree exactly.
    """
    e = np.asarray(edges)
    e = e.reshape(*e.shape[:-1], 2, -1, 2)
    bottom, top = e[..., 1:, 0], e[..., :-1, 1]
    return np.maximum(bottom - top, 0.0), 0.5 * (bottom + top)


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
    out["band_edges"] = band_edges(out["tm_bands"], out["te_bands"])
    return out


def label_many(eps: np.ndarray, settings: SolverSettings = SolverSettings(), *, chunk_size: int = 25,
               workers: int | None = None, progress: bool = True) -> dict[str, np.ndarray]:
    """Labels of many ``(n, 32, 32)`` cells (your own, say): :func:`label_cells` on chunks of ``chunk_size`` cells
    run on ``workers`` threads (default: all cores, one BLAS thread each), with a progress bar; float32 arrays."""
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers!r}")
    eps = np.asarray(eps, np.float64)
    chunks = [eps[s:s + m] for s, m in chunk_ranges(0, len(eps), chunk_size)]
    labelled = []
    with tqdm(total=len(eps), unit="cell", desc="labelling", disable=not progress) as bar, \
            threadpool_limits(1), ThreadPoolExecutor(workers) as pool:
        for chunk in pool.map(label_cells, chunks, [settings] * len(chunks)):
            labelled.append(chunk)
            bar.update(len(chunk["band_edges"]))
    if not labelled:
        raise ValueError("no cells to label")
    return {key: np.concatenate([c[key] for c in labelled]).astype(np.float32) for key in labelled[0]}


def make_examples(config: str, seed: int, start: int, n: int,
                  settings: SolverSettings = SolverSettings()) -> dict[str, np.ndarray]:
    """Cells ``start .. start + n - 1`` of ``config`` with ``seed``, labelled (float32 / int64).

    Keys: ``FIELDS``. ``eps`` is ``(n, 32, 32)``; ``seed`` and ``index`` regenerate a cell with
    ``sample_unit_cells(1, config, seed, start=index)``; ``family`` is int64.
    """
    cells = sample_unit_cells(n, config, seed, start)
    out = label_cells(cells.eps, settings)
    out.update(eps=cells.eps, eps_background=cells.eps_background,
               eps_inclusion=cells.eps_inclusion, filling=cells.filling)
    arrays = {key: np.asarray(value, dtype=np.float32) for key, value in out.items()}
    arrays["family"] = cells.family
    arrays["seed"] = np.full(n, seed, dtype=np.int64)
    arrays["index"] = np.arange(start, start + n, dtype=np.int64)
    return {key: arrays[key] for key in FIELDS}


#: What reading a damaged ``.npz`` can raise (truncated zip, garbage bytes, missing array).
_CORRUPT_NPZ = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error)


def _read_cached(path: Path, start: int, n: int) -> dict[str, np.ndarray] | None:
    """The chunk cached at ``path``, or None if there is none; a damaged file is named and removed."""
    if not path.exists():
        return None
    try:
        with np.load(path) as cached:
            chunk = {key: cached[key] for key in FIELDS}
        if not np.array_equal(chunk["index"], np.arange(start, start + n)):
            raise ValueError(f"it does not hold cells {start}..{start + n - 1}")
    except _CORRUPT_NPZ as err:
        warnings.warn(f"discarding the corrupt cached chunk {path} ({type(err).__name__}: {err}); "
                      f"recomputing it", RuntimeWarning, stacklevel=2)
        path.unlink(missing_ok=True)
        return None
    return chunk


def _chunk_job(config: str, seed: int, start: int, n: int, settings: SolverSettings,
               cache_dir: Path | None) -> dict[str, np.ndarray]:
    """One chunk, read from its cache file if a previous run finished it (a worker-thread task)."""
    path = None if cache_dir is None else cache_dir / f"{config}-s{seed}-{start:09d}-{n}.npz"
    cached = None if path is None else _read_cached(path, start, n)
    if cached is not None:
        return cached
    examples = make_examples(config, seed, start, n, settings)
    if path is not None:
        with atomic_path(path) as tmp:  # a killed run never leaves a truncated chunk behind
            np.savez(tmp, **examples)
    return examples


#: CPU seconds to label one cell (TM and TE, 10 bands on k_grid(16)) at n_max 7: 0.6 measured (module constants
#: above); the cost grows as the cube of the (2 n_max + 1)² plane waves.
SECONDS_PER_CELL_AT_N_MAX_7 = 0.6
#: The most CPU time one generation may plan: 1 000 core-hours, some 6 M cells at n_max 7 (the datasets hold 20 000).
MAX_CPU_HOURS = 1000.0
#: Cells a chunk of ``generate_chunks`` labels at once (its default ``chunk_size``).
CHUNK_SIZE = 25


def check_generation(n: int, settings: SolverSettings, workers: int, max_memory_gb: float | None = None) -> None:
    """Refuse, in one line and before any work, a generation of ``n`` cells whose estimated CPU time exceeds
    ``MAX_CPU_HOURS`` or whose memory (the labelled cells held, then concatenated, plus ``workers`` chunks being
    solved) exceeds the limit of :mod:`keras_imnn.physics.memory`."""
    n_max = max(settings.cutoff("tm"), settings.cutoff("te"))
    hours = n * SECONDS_PER_CELL_AT_N_MAX_7 * ((2 * n_max + 1) / 15) ** 6 / 3600
    what = f"{n} cells at n_max={n_max}"
    if hours > MAX_CPU_HOURS:
        raise ValueError(f"{what} need about {hours:.3g} CPU hours (~{SECONDS_PER_CELL_AT_N_MAX_7:g} s a cell at "
                         f"n_max 7, growing as (2 n_max + 1)^6), over the {MAX_CPU_HOURS:g} a run may plan; "
                         f"generate fewer cells (or in several runs with other seeds)")
    n_k = settings.k_grid_n**2
    per_cell = 4 * (32 * 32 + 2 * n_k * settings.n_bands + 4 * settings.n_bands + 4 * EDGE_BANDS + 3) + 8 * 3
    chunk = min(n, CHUNK_SIZE)
    solving = workers * max(pwe_memory_bytes((chunk, 32, 32), n_k, settings.n_bands, pol, settings.cutoff(pol), 1,
                                             np.linalg.eigvalsh) for pol in ("tm", "te"))
    check_memory(2 * n * per_cell + solving, f"{what} with {workers} worker(s)",
                 "generate fewer cells a run, or use fewer workers or a lower n_max", max_memory_gb)


def default_workers() -> int:
    """Cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def chunk_ranges(start: int, n: int, chunk_size: int) -> list[tuple[int, int]]:
    """``(chunk_start, chunk_n)`` covering indices ``start .. start + n - 1``."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size!r}")
    return [(s, min(chunk_size, start + n - s)) for s in range(start, start + n, chunk_size)]


def generate_chunks(config: str, seed: int, start: int, n: int,
                    settings: SolverSettings = SolverSettings(), *, chunk_size: int = CHUNK_SIZE,
                    workers: int | None = None, cache_dir: str | os.PathLike | None = None,
                    progress: bool = True, desc: str | None = None
                    ) -> Iterator[dict[str, np.ndarray]]:
    """Yield labelled chunks of cells ``start .. start + n - 1`` in index order.

    Chunks run on ``workers`` threads (default: all cores), each with one BLAS thread. With
    ``cache_dir`` each finished chunk is saved there and reused by a rerun, which makes an
    interrupted or failed generation restartable; the caller removes the folder when done. A
    failing chunk raises ``GenerationError`` (a RuntimeError) naming its cells, once the chunks still running end.
    """
    sample_unit_cells(0, config, seed, start)  # validates config, seed and start before any work
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers!r}")
    if cache_dir is not None:
        cache_dir = Path(cache_dir)
        cache_dir.mkdir(parents=True, exist_ok=True)
    jobs = iter(chunk_ranges(start, n, chunk_size))
    pending: deque[tuple[int, int, Future]] = deque()
    bar = tqdm(total=n, unit="cell", desc=desc or f"photonic {config}", disable=not progress)
    # BLAS limits are process-wide, so they are set once for the whole run (they also hold over the
    # consumer's code between chunks), not per thread, where concurrent set/restore pairs would race.
    with bar, threadpool_limits(1), ThreadPoolExecutor(workers) as pool:
        def submit(count: int) -> None:
            for s, m in islice(jobs, count):
                pending.append((s, m, pool.submit(_chunk_job, config, seed, s, m, settings, cache_dir)))

        try:
            # At most two chunks per worker in flight: a consumer that stops early (TFDS
            # max_examples_per_split) leaves nothing running once it closes this generator.
            submit(2 * workers)
            while pending:
                s, m, future = pending[0]
                try:
                    chunk = future.result()
                except Exception as err:
                    where = (f"the chunks that finished are cached in {cache_dir}, a rerun resumes from them"
                             if cache_dir is not None else "nothing is cached: a rerun starts over")
                    raise GenerationError(f"photonic {config} (seed {seed}): the chunk of cells "
                                       f"{s}..{s + m - 1} failed with {type(err).__name__}: {err}; "
                                       f"{where}") from err
                pending.popleft()
                submit(1)
                bar.update(m)
                yield chunk
        finally:
            for _, _, future in pending:  # queued chunks never start; running ones end with the pool
                future.cancel()


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

