"""Photonic band structures of 2D square-lattice pixel cells by plane-wave expansion (PWE).

Units: lattice constant a = 1, k-points in reciprocal-lattice units (k = κ·2π/a with κ given),
frequencies ωa/2πc. TM = E out of the plane (MPB's TM), TE = H out of the plane.

Method. A unit cell is an (n, n) array of piecewise-constant pixels, pixel (i, j) covering
[i/n, (i+1)/n) × [j/n, (j+1)/n) with i along x, so its Fourier coefficients are exact (DFT × sinc).
Fields are expanded in the plane waves e^{i2π(κ+m)·r} with |κ_x+m_x|, |κ_y+m_y| ≤ M + ½
(``n_max`` = M; (2M+1)² plane waves, one more row/column on the zone edge), a D4-symmetric
window, so bands are exactly D4- and time-reversal-covariant:

* TM (E_z tangential to every interface, Laurent's rule is exact):
  |κ+m| [ε]⁻¹ |κ+m| E = (ω/2πc)² E, with [ε] the Toeplitz matrix of ε (Ho's inverse rule).
* TE (H_z): (κ+m)_y η^xx (κ+m)_y + (κ+m)_x η^yy (κ+m)_x, with Li's factorization for staircase
  cells: η^xx = Laurent-in-x of the inverse of the Toeplitz-in-y matrix of ε (E_x is continuous
  along y, D_x along x), η^yy likewise with x and y swapped. Measured on an ε = 1/20 cell,
  Ho's rule (one 2D inverse) is still 4–5 % low on TE bands 1–2 at n_max 11, Li's within 1 %.

Written here rather than taken from a library: legume-gme's PWE (the closest maintained one) solves
one k-point of one cell at a time with Ho's rule only; this batches cells × k-points in stacked
LAPACK calls and uses Li's rule for TE.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from keras_imnn.physics.memory import check_memory
from keras_imnn.physics.photonic.kpoints import (
    D4,
    INVERSION,
    cell_symmetries,
    gamma_x_m_path,
    k_grid,
    reduce_k_points,
    time_reversal_reduce,
)

__all__ = ["DEFAULT_N_MAX", "MAX_VALIDATED_CONTRAST", "ContrastWarning", "band_gaps", "band_structure",
           "gamma_x_m_path", "k_grid", "time_reversal_reduce"]

Polarization = Literal["tm", "te"]
_POLARIZATIONS = ("tm", "te")
_BACKENDS = ("pwe", "pwe-tf", "mpb")
#: Default plane-wave cutoff per polarization, |m_x|, |m_y| ≤ n_max: (2·n_max+1)² plane waves.
#: TM converges fast (Laurent's rule is exact for E_z); TE needs more: at n_max 6 TE bands 1–4
#: are within 2 % of converged MPB even for ε = 1/20 cells (benchmarks/, README).
DEFAULT_N_MAX = {"tm": 5, "te": 6}
#: Highest max(ε)/min(ε) of a cell the PWE cutoffs were validated at against MPB (README): beyond
#: it bands at these cutoffs move by several % with n_max (3–15 % at contrast 100–1000).
MAX_VALIDATED_CONTRAST = 20.0


class ContrastWarning(UserWarning):
    """A cell's ε contrast exceeds :data:`MAX_VALIDATED_CONTRAST`: PWE bands may be inaccurate."""


def _checked_eps_array(eps: np.ndarray) -> np.ndarray:
    """``eps`` as given (no float64 copy yet, so a memory guard can run first); wrong dtype or shape refused."""
    arr = np.asarray(eps)
    if arr.dtype.kind not in "fiu":
        raise ValueError(f"eps must be a real float array, got dtype {arr.dtype}")
    if arr.ndim not in (2, 3) or arr.shape[-1] != arr.shape[-2]:
        raise ValueError(f"eps must have shape (n, n) or (batch, n, n), got {arr.shape}")
    if arr.shape[-1] < 2:
        raise ValueError(f"eps cells must be at least 2×2 pixels, got {arr.shape}")
    return arr


def _validate_eps(arr: np.ndarray) -> np.ndarray:
    """A checked ``_checked_eps_array`` as float64, finite and ≥ 1 everywhere."""
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError("eps contains NaN or inf")
    if np.any(arr < 1.0):
        raise ValueError(
            f"eps must be >= 1 everywhere (dielectrics only), got min {arr.min():.4g}")
    return arr


def _validate_k(k_points: np.ndarray) -> np.ndarray:
    k = np.asarray(k_points, dtype=np.float64)
    if k.ndim != 2 or k.shape[1] != 2 or k.shape[0] == 0:
        raise ValueError(f"k_points must have shape (n_k, 2) with n_k >= 1, got {k.shape}")
    if not np.all(np.isfinite(k)):
        raise ValueError("k_points contains NaN or inf")
    return k


def _pixel_ft_1d(eps: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Exact Fourier coefficients of piecewise-constant pixels along the last axis."""
    n = eps.shape[-1]
    centers = (np.arange(n) + 0.5) / n
    phase = np.exp(-2j * np.pi * m[:, None] * centers[None, :]) * np.sinc(m / n)[:, None] / n
    return eps @ phase.T


def _windows(k: np.ndarray, n_max: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plane-wave window per k-point: the q = k + m with |q_x|, |q_y| ≤ n_max + ½.

    The window depends only on k modulo reciprocal vectors and is D4-symmetric, which makes
    bands exactly invariant under D4 and k → −k. k is reduced to [−½, ½); a component at −½
    (the zone edge) takes m ∈ [−n_max, n_max + 1], every other one m ∈ [−n_max, n_max].
    Returns the reduced k (n_k, 2) and per-direction edge flags (n_k,), (n_k,).
    """
    k_red = k - np.floor(k + 0.5)
    edge = np.isclose(k_red, -0.5, rtol=0.0, atol=1e-12)
    k_red[edge] = -0.5
    return k_red, edge[:, 0], edge[:, 1]


def _plane_waves(xr: np.ndarray, yr: np.ndarray) -> np.ndarray:
    """Integer plane-wave indices m on the window xr × yr, shape (P, 2), x-major."""
    mx, my = np.meshgrid(xr, yr, indexing="ij")
    return np.stack([mx.ravel(), my.ravel()], axis=-1)


def _diffs(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All differences of a window's indices, and the (len, len) index of m − m' into them."""
    span = len(r) - 1
    return np.arange(-span, span + 1), (r[:, None] - r[None, :]) + span


def _eta_tm(eps: np.ndarray, xr: np.ndarray, yr: np.ndarray) -> np.ndarray:
    """Ho's inverse of the 2D Toeplitz matrix of ε on the window: (b, n, n) → (b, P, P)."""
    dx, _ = _diffs(xr)
    dy, _ = _diffs(yr)
    cy = _pixel_ft_1d(eps, dy)                                         # (b, n_x, Dy)
    c2 = np.swapaxes(_pixel_ft_1d(np.swapaxes(cy, -1, -2), dx), -1, -2)  # (b, Dx, Dy)
    m = _plane_waves(xr, yr)
    diff = m[:, None, :] - m[None, :, :] + np.array([len(xr) - 1, len(yr) - 1])
    return np.linalg.inv(c2[:, diff[..., 0], diff[..., 1]])


def _eta_li(eps: np.ndarray, xr: np.ndarray, yr: np.ndarray) -> np.ndarray:
    """Li's η^xx for a staircase cell: Laurent in x of (Toeplitz in y of ε)⁻¹. (b,n,n)→(b,P,P)."""
    dx, idx_x = _diffs(xr)
    dy, idx_y = _diffs(yr)
    inv_cols = np.linalg.inv(_pixel_ft_1d(eps, dy)[..., idx_y])        # (b, n_x, My, My)
    # Laurent in x of this column-wise constant matrix function: exact pixel FT along x.
    f = np.moveaxis(_pixel_ft_1d(np.moveaxis(inv_cols, 1, -1), dx), -1, 1)  # (b, Dx, My, My)
    nx, ny = len(xr), len(yr)
    ix = np.repeat(np.arange(nx), ny)
    iy = np.tile(np.arange(ny), nx)
    return f[:, idx_x[ix[:, None], ix[None, :]], iy[:, None], iy[None, :]]


def _operators(eps: np.ndarray, polarization: str, xr: np.ndarray,
               yr: np.ndarray) -> list[np.ndarray]:
    if polarization == "tm":
        return [_eta_tm(eps, xr, yr)]
    eta_xx = _eta_li(eps, xr, yr)
    eta_yy = _eta_li(np.swapaxes(eps, -1, -2), yr, xr)
    # η^yy was built on the transposed cell: permute its plane-wave indices back (mx ↔ my).
    perm = np.arange(len(xr) * len(yr)).reshape(len(yr), len(xr)).T.ravel()
    return [eta_xx, eta_yy[:, perm][:, :, perm]]


def _eigvalsh_tf(mats: np.ndarray) -> np.ndarray:
    """Stacked Hermitian eigenvalues with TensorFlow (on a GPU when TensorFlow sees one)."""
    import tensorflow as tf  # optional: the physics package must not need TensorFlow

    # TensorFlow returns eigenvalues of a complex Hermitian matrix with a complex dtype.
    return np.real(tf.linalg.eigvalsh(tf.convert_to_tensor(mats)).numpy())


def _solve_window(eps: np.ndarray, k: np.ndarray, n_bands: int, polarization: str,
                  xr: np.ndarray, yr: np.ndarray, centers: np.ndarray | None,
                  eigvalsh: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Bands of (b, n, n) cells at (n_k, 2) k-points sharing one plane-wave window."""
    ops = _operators(eps, polarization, xr, yr)
    m = _plane_waves(xr, yr)
    if centers is not None:
        # Moving each cell's inversion centre to the origin (a diagonal unitary) makes the
        # operators real: real LAPACK is 2–2.5× faster than complex at these sizes.
        phase = np.exp(2j * np.pi * centers @ m.T)                    # (b, P)
        ops = [(phase[:, :, None] * op * phase[:, None, :].conj()).real for op in ops]
    q = k[:, None, :] + m[None, :, :]                                 # (n_k, P, 2)
    # TM: |q| η |q|; TE (H_z equation ∂y(η^xx ∂y H) + ∂x(η^yy ∂x H)): q_y η^xx q_y + q_x η^yy q_x.
    weights = [np.linalg.norm(q, axis=-1)] if polarization == "tm" else [q[..., 1], q[..., 0]]
    # Assemble and solve a few k-points at a time: the matrices stay in cache between the
    # two steps (assembling the whole stack at once took as long as the eigensolver).
    p = len(m)
    step = max(1, _batch_bytes(eigvalsh) // (16 * len(eps) * p * p))
    buf = np.empty((len(eps), min(step, len(k)), p, p), dtype=ops[0].dtype)
    tmp = np.empty_like(buf)
    out = np.empty((len(eps), len(k), n_bands))
    for start in range(0, len(k), step):
        n = min(step, len(k) - start)
        mats, scratch = buf[:, :n], tmp[:, :n]
        for term, (op, w) in enumerate(zip(ops, weights)):
            outer = w[start:start + n, :, None] * w[start:start + n, None, :]
            np.multiply(op[:, None], outer[None], out=scratch if term else mats)
            if term:
                mats += scratch
        out[:, start:start + n] = eigvalsh(mats)[..., :n_bands]
    return np.sqrt(np.clip(out, 0.0, None))


def _batch_bytes(eigvalsh: Callable[[np.ndarray], np.ndarray]) -> int:
    """Size of the stack of matrices assembled for one eigensolver call."""
    return 2**22 if eigvalsh is np.linalg.eigvalsh else 2**27  # a GPU wants big batches


def _cells_per_chunk(n_pw: int, n_cells: int, n_jobs: int) -> int:
    """Cells per task: a chunk's operators (chunk, P, P) stay within a few MB, cache-sized like the
    matrices assembled from them; at least one chunk per thread."""
    return int(np.clip(2**22 // (16 * n_pw**2), 1, -(-n_cells // n_jobs)))


def pwe_memory_bytes(cells_shape: tuple[int, ...], n_k: int, n_bands: int, polarization: str, n_max: int,
                      n_jobs: int, eigvalsh: Callable[[np.ndarray], np.ndarray]) -> float:
    """Peak memory of :func:`_solve_pwe_batched`, closed form, on the safe side.

    Each thread holds a chunk's operators and their gathered / inverted / phase-shifted copies,
    then the assembled matrices: measured 5.0–5.1 (TM) and 5.6–6.0 (TE) complex P × P matrices a
    cell at n_max 20–30 (P = (2 n_max + 1)²); counted here as 6 and 7 of the zone-edge window's
    (2 n_max + 2)². Plus the cells as float64 (twice: the conversion and its copy) and the bands (the result
    and a task's copy). ``cells_shape`` is (b, n, n): the estimate comes from the request, before any copy.
    """
    n_cells, pixels = cells_shape[0], cells_shape[1] * cells_shape[2]
    p = (2 * n_max + 2) ** 2
    chunk = _cells_per_chunk((2 * n_max + 1) ** 2, n_cells, n_jobs)
    per_thread = (6 if polarization == "tm" else 7) * max(chunk * 16 * p * p, _batch_bytes(eigvalsh))
    return n_jobs * per_thread + 8 * n_cells * (2 * pixels + 2 * n_k * n_bands)


def _solve_pwe(eps: np.ndarray, k: np.ndarray, n_bands: int, polarization: str,
               n_max: int, centers: np.ndarray | None = None,
               eigvalsh: Callable[[np.ndarray], np.ndarray] = np.linalg.eigvalsh) -> np.ndarray:
    """(b, n, n) cells, (n_k, 2) k → (b, n_k, n_bands) frequencies ωa/2πc.

    ``centers`` (b, 2): each cell's inversion centre (lattice units) if all have one.
    """
    k_red, edge_x, edge_y = _windows(k, n_max)
    out = np.empty((len(eps), len(k), n_bands))
    for ex in (False, True):
        for ey in (False, True):
            sel = (edge_x == ex) & (edge_y == ey)
            if sel.any():
                xr = np.arange(-n_max, n_max + 1 + ex)
                yr = np.arange(-n_max, n_max + 1 + ey)
                out[:, sel] = _solve_window(eps, k_red[sel], n_bands, polarization, xr, yr,
                                            centers, eigvalsh)
    return out


def _symmetry_groups(cells: np.ndarray, time_reversal: bool,
                     symmetry: bool) -> list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    """Cells grouped by the k-point operations they allow: (cell indices, ops, centres)."""
    if not symmetry:
        ops = D4[[0, INVERSION]] if time_reversal else D4[[0]]
        return [(np.arange(len(cells)), ops, None)]
    found = [cell_symmetries(c) for c in cells]
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, (ops, _) in enumerate(found):
        groups.setdefault(tuple(ops), []).append(i)
    out = []
    n = cells.shape[-1]
    for key, members in groups.items():
        ops = D4[list(key)]
        if time_reversal:
            ops = np.concatenate([ops, -ops])
        centers = None
        if INVERSION in key:
            # cell[i] = cell[s − 1 − i] for the inversion's shift s: centre at s/2 pixels.
            row = key.index(INVERSION)
            centers = np.array([found[i][1][row] for i in members]) / (2 * n)
        out.append((np.array(members), ops, centers))
    return out


def _solve_pwe_batched(cells: np.ndarray, k: np.ndarray, n_bands: int, polarization: str,
                       n_max: int, n_jobs: int, progress: bool | None, time_reversal: bool,
                       symmetry: bool,
                       eigvalsh: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Chunks of cells through :func:`_solve_pwe` on ``n_jobs`` threads (LAPACK drops the GIL),
    each cell solved only at the k-points irreducible under its symmetry group."""
    n_pw = (2 * n_max + 1) ** 2
    tasks = []
    for members, ops, centers in _symmetry_groups(cells, time_reversal, symmetry):
        unique, inverse = reduce_k_points(k, ops)
        chunk = _cells_per_chunk(n_pw, len(members), n_jobs)
        for start in range(0, len(members), chunk):
            sl = slice(start, start + chunk)
            tasks.append((members[sl], unique, inverse, None if centers is None else centers[sl]))

    def run(task):
        members, unique, inverse, centers = task
        return _solve_pwe(cells[members], k[unique], n_bands, polarization, n_max,
                          centers, eigvalsh)[:, inverse]

    out = np.empty((len(cells), len(k), n_bands))
    show = progress if progress is not None else len(cells) >= 64
    # One BLAS thread per solve: for these small matrices BLAS threads cost more than they
    # give (measured 4× slower with 2 threads on a loaded 2-core machine).
    with threadpool_limits(1), ThreadPoolExecutor(max_workers=n_jobs) as pool:
        results = tqdm(pool.map(run, tasks), total=len(tasks), unit="chunk",
                       desc=f"PWE {polarization.upper()} bands",
                       disable=not show or len(tasks) == 1)
        for task, bands in zip(tasks, results):
            out[task[0]] = bands
    return out


def band_structure(eps: np.ndarray, k_points: np.ndarray, n_bands: int = 10,
                   polarization: Polarization = "tm", *, backend: str = "pwe",
                   n_max: int | None = None, time_reversal: bool = True, symmetry: bool = True,
                   n_jobs: int = 1,
                   progress: bool | None = None,
                   mpb_options: Mapping[str, Any] | None = None,
                   max_memory_gb: float | None = None) -> np.ndarray:
    """Photonic bands of square-lattice pixel cells.

    Args:
        eps: relative permittivity, (n, n) or (b, n, n), all ≥ 1; pixel (i, j) at
            ((i+½)/n, (j+½)/n), i along x, lattice constant 1.
        k_points: (n_k, 2) Bloch vectors in reciprocal-lattice units.
        n_bands: number of lowest bands returned.
        polarization: "tm" (E out of plane, MPB's TM) or "te".
        backend: "pwe" (this module, numpy/LAPACK), "pwe-tf" (the same with the eigenvalues
            from TensorFlow, which uses a GPU when present; needs TensorFlow) or "mpb" (needs
            the ``mpb`` binary).
        n_max: PWE plane-wave cutoff |m_x|, |m_y| ≤ n_max, (2·n_max+1)² plane waves;
            None = :data:`DEFAULT_N_MAX` of the polarization.
        time_reversal: solve only one of each pair k, −k (mod reciprocal vectors).
        symmetry: "pwe" only: also use each cell's own D4 symmetries (detected exactly on the
            pixels) to solve only irreducible k-points, and real arithmetic for cells with an
            inversion centre. Results are the same as without, up to round-off.
        n_jobs: cells solved at once (threads for "pwe", processes for "mpb").
        progress: tqdm progress bar over chunks of cells; None = only for ≥ 64 cells ("pwe")
            or ≥ 4 cells ("mpb").
        mpb_options: keyword arguments of :func:`keras_imnn.physics.photonic.mpb.
            mpb_band_structure` (resolution, upsample, mesh_size, tolerance).
        max_memory_gb: "pwe" backends refuse (:class:`~keras_imnn.physics.memory.MemoryLimitError`,
            before allocating) work estimated above this; None = ``$KERAS_IMNN_MAX_MEMORY_GB``,
            else 80 % of the available memory (:mod:`keras_imnn.physics.memory`).

    Returns:
        ωa/2πc, ascending per k-point: (n_k, n_bands) or (b, n_k, n_bands).

    Warns:
        ContrastWarning: "pwe" backends, a cell with max(ε)/min(ε) above :data:`MAX_VALIDATED_CONTRAST`.
    """
    pol = str(polarization).lower()
    if pol not in _POLARIZATIONS:
        raise ValueError(f"polarization must be one of {_POLARIZATIONS}, got {polarization!r}")
    if backend not in _BACKENDS:
        raise ValueError(f"backend must be one of {_BACKENDS}, got {backend!r}")
    if mpb_options and backend != "mpb":
        raise ValueError("mpb_options are only accepted with backend='mpb'")
    n_max = DEFAULT_N_MAX[pol] if n_max is None else n_max
    if not isinstance(n_max, (int, np.integer)) or n_max < 1:
        raise ValueError(f"n_max must be a positive integer, got {n_max!r}")
    if not isinstance(n_jobs, (int, np.integer)) or n_jobs < 1:
        raise ValueError(f"n_jobs must be a positive integer, got {n_jobs!r}")
    cells = _checked_eps_array(eps)
    k = _validate_k(k_points)
    single = cells.ndim == 2
    cells = cells[None] if single else cells
    n_pw = (2 * n_max + 1) ** 2
    if not isinstance(n_bands, (int, np.integer)) or not 1 <= n_bands <= n_pw:
        raise ValueError(f"n_bands must be an integer in 1..{n_pw} for n_max={n_max}, "
                         f"got {n_bands!r}")
    if backend == "mpb":
        from keras_imnn.physics.photonic.mpb import mpb_band_structure

        cells = _validate_eps(cells)
        unique, inverse = reduce_k_points(k, D4[[0, INVERSION]] if time_reversal else D4[[0]])
        show = progress if progress is not None else len(cells) >= 4
        out = mpb_band_structure(cells, k[unique], n_bands, pol, n_jobs=n_jobs, progress=show,
                                 **(mpb_options or {}))[:, inverse]
    else:
        eigvalsh = _eigvalsh_tf if backend == "pwe-tf" else np.linalg.eigvalsh
        check_memory(pwe_memory_bytes(cells.shape, len(k), n_bands, pol, n_max, n_jobs, eigvalsh),
                     f"PWE {pol.upper()} bands of {len(cells)} cell(s) at n_max={n_max} with n_jobs={n_jobs}",
                     "lower n_max, n_jobs or the number of cells a call", max_memory_gb)
        cells = _validate_eps(cells)
        contrast = float((cells.max(axis=(-2, -1)) / cells.min(axis=(-2, -1))).max())
        if contrast > MAX_VALIDATED_CONTRAST:
            warnings.warn(
                f"ε contrast {contrast:.3g} exceeds {MAX_VALIDATED_CONTRAST:g}, the highest the PWE cutoffs "
                f"were validated at: bands may be off by several %; raise n_max (now {n_max}) until they "
                "stop moving, or use backend='mpb'", ContrastWarning, stacklevel=2)
        out = _solve_pwe_batched(cells, k, n_bands, pol, n_max, n_jobs, progress,
                                 time_reversal, symmetry, eigvalsh)
    return out[0] if single else out


def band_gaps(bands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gaps and midgaps between every pair of consecutive bands over the sampled k-points.

    Args:
        bands: (..., n_k, n_bands) frequencies, e.g. from :func:`band_structure`.

    Returns:
        ``(gaps, midgaps)``, each (..., n_bands − 1): for bands i, i+1,
        gap = max(0, min_k ω_{i+1} − max_k ω_i) and midgap = (min_k ω_{i+1} + max_k ω_i) / 2.
        The midgap is defined the same way when the bands overlap (gap 0): it is then the
        centre of the overlap, so it stays finite and continuous in ε and gap/midgap is 0.
    """
    b = np.asarray(bands, dtype=np.float64)
    if b.ndim < 2 or b.shape[-1] < 2:
        raise ValueError(f"bands must have shape (..., n_k, n_bands) with n_bands >= 2, got {b.shape}")
    if not np.all(np.isfinite(b)):
        raise ValueError("bands contains NaN or inf")
    top = b[..., :-1].max(axis=-2)
    bottom = b[..., 1:].min(axis=-2)
    return np.maximum(bottom - top, 0.0), 0.5 * (bottom + top)
