"""The widest TM gap of the continuous relaxation, climbed with the solver's own gradients (no surrogate).

Every pixel's ε may take any value in [ε_min, ε_max] (a density z in [0, 1]), a superset of the two-tone cells.
Each iteration linearizes the solver's TM bands b, b+1 at every k-point (Hellmann–Feynman gradients,
:mod:`keras_imnn.physics.photonic.tm_gradient`) and solves the epigraph LP of Men et al. (J. Comput. Phys. 229,
3706, 2010): maximize the linearized gap/midgap over a step of at most Δ per variable, with the lower edge of
band b+1 and the upper edge of band b as bounds every k-point must respect; Δ grows after a step that raises the
true ratio and halves after one that does not. The design variables are the 136 D4 pixel orbits of a C4v cell
(``symmetric=True``) or all 1 024 pixels.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from tqdm.auto import tqdm

from keras_imnn.physics.photonic.cells import orbit_representatives
from keras_imnn.physics.photonic.kpoints import D4, INVERSION, k_grid, reduce_k_points
from keras_imnn.physics.photonic.tm_gradient import tm_bands_with_gradient

#: Largest and first step of a density (fraction of ε_max − ε_min); the search stops once Δ falls below the last.
MAX_STEP, FIRST_STEP, MIN_STEP = 0.5, 0.2, 1e-4


@dataclass(frozen=True)
class Relaxation:
    """What :func:`relax_tm_gap` found.

    Attributes:
        density: ``(n, n)`` z in [0, 1] at the end, ε = ε_min + z (ε_max − ε_min).
        ratio: the solver's gap/midgap of that (possibly grey) cell.
        cell: ``(n, n)`` the density thresholded at ½, exactly two-tone.
        cell_ratio: the solver's gap/midgap of ``cell``.
        grey_fraction: share of pixels with 0.02 < z < 0.98 at the end (0: the relaxation chose two tones).
        ratios: the accepted ratio after each iteration, ``(iterations,)``.
    """

    density: np.ndarray
    ratio: float
    cell: np.ndarray
    cell_ratio: float
    grey_fraction: float
    ratios: np.ndarray


def _basis(n: int, symmetric: bool) -> np.ndarray:
    """``(n_variables, n²)`` 0/1 map from design variables to pixels: one row per D4 orbit, or the identity."""
    if not symmetric:
        return np.eye(n * n)
    _, orbit = np.unique(orbit_representatives(n).ravel(), return_inverse=True)
    return np.eye(orbit.max() + 1)[orbit.ravel()].T


def relax_tm_gap(start: np.ndarray, eps_range: Sequence[float], bands: Sequence[int] = (1, 2), *,
                 symmetric: bool = True, n_max: int = 5, k_grid_n: int = 16, max_iter: int = 40,
                 progress: bool = False) -> Relaxation:
    """Climb the TM gap/midgap of bands (b, b+1) over grey cells between ``eps_range``, from ``start``.

    Args:
        start: ``(n, n)`` ε in ``eps_range`` (a two-tone design, or any grey cell); with ``symmetric`` it is
            averaged over each D4 pixel orbit first.
        eps_range: (ε_min, ε_max).
        bands: (b, b+1), b ≥ 1.
        symmetric: keep the cell C4v (D4 orbits as variables, 45 irreducible k-points) or free every pixel.
        n_max: the solver's plane-wave cutoff.
        k_grid_n: bands are sampled on ``k_grid(k_grid_n)``, as the verified labels.
        max_iter: LP iterations at most.
        progress: a tqdm bar over the iterations.

    Returns:
        :class:`Relaxation`: the final density, its ratio, its binary threshold and that cell's ratio.
    """
    lo, hi = (float(e) for e in eps_range)
    start = np.asarray(start, np.float64)
    if not (np.isfinite(lo) and np.isfinite(hi) and 1.0 <= lo < hi):
        raise ValueError(f"eps_range must be (ε_min, ε_max) with 1 <= ε_min < ε_max; got {tuple(eps_range)!r}")
    if start.ndim != 2 or start.shape[0] != start.shape[1] or np.any(start < lo) or np.any(start > hi):
        raise ValueError(f"start must be an (n, n) cell with ε in [{lo:g}, {hi:g}]; got shape {start.shape}, "
                         f"range [{start.min():g}, {start.max():g}]")
    b = int(bands[0])
    if len(bands) != 2 or b < 1 or int(bands[1]) != b + 1:
        raise ValueError(f"bands must be two consecutive integers b, b+1 with b >= 1; got {tuple(bands)!r}")
    n = start.shape[0]
    basis = _basis(n, symmetric)
    grid = k_grid(k_grid_n)
    k = grid[reduce_k_points(grid, np.concatenate([D4, -D4]) if symmetric else D4[[0, INVERSION]])[0]]

    def evaluate(z: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        omega, d_omega = tm_bands_with_gradient(lo + (hi - lo) * (basis.T @ z).reshape(n, n), k, b + 1, n_max)
        grad = (hi - lo) * d_omega[:, b - 1:].reshape(len(k), 2, -1) @ basis.T   # (n_k, 2, n_variables)
        top, bottom = omega[:, b - 1].max(), omega[:, b].min()
        return 2.0 * (bottom - top) / (bottom + top), omega[:, b - 1:], grad

    def variables(cell: np.ndarray) -> np.ndarray:
        """Densities of the design variables: each orbit's mean."""
        return basis @ ((cell.ravel() - lo) / (hi - lo)) / basis.sum(axis=1)

    z = variables(start)
    ratio, omega, grad = evaluate(z)
    n_var, n_k, step, ratios = len(z), len(k), FIRST_STEP, []
    # LP variables: the step (n_var), s ≤ ω_{b+1}(k) and u ≥ ω_b(k) for every k, linearized.
    a_ub = np.zeros((2 * n_k, n_var + 2))
    a_ub[:n_k, n_var], a_ub[n_k:, n_var + 1] = 1.0, -1.0
    for _ in tqdm(range(max_iter), desc="relaxation LP", unit="it", disable=not progress):
        top, bottom = omega[:, 0].max(), omega[:, 1].min()
        # d ratio / d bottom and d ratio / d top of 2 (bottom − top) / (bottom + top)
        cost = np.zeros(n_var + 2)
        cost[n_var:] = -4.0 * top / (bottom + top) ** 2, 4.0 * bottom / (bottom + top) ** 2
        a_ub[:n_k, :n_var], a_ub[n_k:, :n_var] = -grad[:, 1], grad[:, 0]
        bounds = [*zip(np.maximum(-step, -z), np.minimum(step, 1.0 - z)), (None, None), (None, None)]
        lp = linprog(cost, A_ub=a_ub, b_ub=np.concatenate([omega[:, 1], -omega[:, 0]]), bounds=bounds,
                     method="highs")
        trial = z + lp.x[:n_var]
        trial_ratio, trial_omega, trial_grad = evaluate(trial)
        if trial_ratio > ratio:
            z, ratio, omega, grad = trial, trial_ratio, trial_omega, trial_grad
            step = min(1.5 * step, MAX_STEP)
        else:
            step /= 2.0
        ratios.append(ratio)
        if step < MIN_STEP:
            break
    density = (basis.T @ z).reshape(n, n)
    cell = np.where(density > 0.5, hi, lo)
    cell_ratio = evaluate(variables(cell))[0]
    return Relaxation(density=density, ratio=float(ratio), cell=cell, cell_ratio=float(cell_ratio),
                      grey_fraction=float(np.mean((density > 0.02) & (density < 0.98))), ratios=np.asarray(ratios))
