"""Square-lattice unit cells of 2D photonic crystals as ``(32, 32)`` permittivity arrays.

Conventions (shared with the solver and the models): lattice constant 1, pixel ``(i, j)`` is the
square centred at ``((i + 1/2) / 32, (j + 1/2) / 32)`` with piecewise-constant relative
permittivity ε, and the array is one period (no duplicated edge row). The pixel grid maps to itself
under the point group D4 about the cell centre (1/2, 1/2), which the array flips and transposes
implement exactly.

Random cells are deterministic: cell ``start + i`` of config ``c`` with seed ``s`` is drawn from
``numpy.random.default_rng([s, start + i])``, so any single cell of a dataset can be regenerated
from its seed and index, and batches with the same seed are prefixes of each other.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from keras_imnn.groups import orbit

N_PIXELS = 32
CONFIGS = ("gapped", "sibcl")


class UnitCells(NamedTuple):
    """A batch of two-tone unit cells and the parameters they were drawn with.

    eps: ``(n, 32, 32)`` float64 relative permittivity.
    eps_background, eps_inclusion: ``(n,)`` the two permittivities; the inclusion is the region
        where the level-set function is largest.
    filling: ``(n,)`` fraction of pixels holding ``eps_inclusion``.
    """

    eps: np.ndarray
    eps_background: np.ndarray
    eps_inclusion: np.ndarray
    filling: np.ndarray


def pixel_centers(n: int = N_PIXELS) -> np.ndarray:
    """Pixel-centre coordinates ``(i + 1/2) / n`` along one axis, ``(n,)``, lattice units."""
    return (np.arange(n) + 0.5) / n


def _distance_to_center(n: int) -> np.ndarray:
    """``(n, n)`` distance of each pixel centre from the cell centre (1/2, 1/2)."""
    x = pixel_centers(n) - 0.5
    return np.hypot(x[:, None], x[None, :])


def rods(radius: float, eps_rod: float, eps_background: float = 1.0,
         n: int = N_PIXELS) -> np.ndarray:
    """Circular rod of radius ``radius`` (lattice units) centred in the cell, ``(n, n)`` float64.

    A pixel holds ``eps_rod`` when its centre lies within ``radius`` of (1/2, 1/2), the
    discretization used for the MPB references (cell 0 there is ``rods(0.25, 12.0)``).
    """
    _check_radius(radius)
    return np.where(_distance_to_center(n) <= radius, float(eps_rod), float(eps_background))


def holes(radius: float, eps_background: float, eps_hole: float = 1.0,
          n: int = N_PIXELS) -> np.ndarray:
    """Circular hole of radius ``radius`` centred in a slab of ``eps_background``, ``(n, n)``.

    The MPB references' cell 1 is ``holes(0.35, 13.0)``.
    """
    _check_radius(radius)
    return np.where(_distance_to_center(n) <= radius, float(eps_hole), float(eps_background))


def _check_radius(radius: float) -> None:
    if not 0.0 <= radius <= 0.5 * np.sqrt(2.0):
        raise ValueError(f"radius must lie in [0, sqrt(2)/2] lattice units, got {radius!r}")


def d4_transforms(cell: np.ndarray) -> list[np.ndarray]:
    """The 8 images of ``cell`` (..., n, n) under D4 about the cell centre: the 4 rotations, then their
    transposes (the order the ``gapped`` fields are averaged in: another order rounds differently)."""
    rotations = orbit(cell, "c4", axes=(-2, -1))
    return rotations + [np.swapaxes(r, -1, -2) for r in rotations]


def _orbit_representatives(n: int) -> np.ndarray:
    """``(n, n)`` flat index of the canonical pixel (smallest index) in each pixel's D4 orbit.

    Reading a field at these indices makes it exactly C4v-symmetric, bit for bit, which averaging
    the 8 images in floating point would not guarantee at the level-set threshold.
    """
    index = np.arange(n * n).reshape(n, n)
    return np.min(np.stack(d4_transforms(index)), axis=0)


def _fourier_field(rng: np.random.Generator, g_max: int, n: int, decay: float) -> np.ndarray:
    """``Re Σ_G r_G e^{iφ_G} e^{2πi G·(x - 1/2)}`` over G in {-g_max..g_max}², on the pixel grid.

    r_G ~ U(0, 1) · (1 + |G|²)^(-decay / 2), φ_G ~ U(0, 2π); coordinates are relative to the cell
    centre so that symmetrizing about it is the natural D4.
    """
    g = np.arange(-g_max, g_max + 1)
    size = (g.size, g.size)
    g2 = g[:, None] ** 2 + g[None, :] ** 2
    amplitude = rng.uniform(0.0, 1.0, size) * (1.0 + g2) ** (-decay / 2)
    coefficient = amplitude * np.exp(2j * np.pi * rng.uniform(0.0, 1.0, size))
    phase = np.exp(2j * np.pi * np.outer(g, pixel_centers(n) - 0.5))  # (n_g, n)
    return np.real(np.einsum("ab,ai,bj->ij", coefficient, phase, phase))


def _level_set(field: np.ndarray, filling: float) -> tuple[np.ndarray, float]:
    """Mask of the ``round(filling · n²)`` largest pixels of ``field`` (at least 1, at most n² − 1).

    Returns the mask and its actual pixel filling. Ties at the threshold (symmetric orbits) are
    kept or dropped together, so symmetry survives; the filling may then differ by an orbit.
    """
    values = np.sort(field.ravel())[::-1]
    count = int(np.clip(round(filling * field.size), 1, field.size - 1))
    mask = field >= values[count - 1]
    if mask.all():  # a constant field: keep the cell two-tone by dropping the threshold orbit
        mask = field > values[count - 1]
    return mask, float(mask.mean())


def _draw_sibcl(rng: np.random.Generator, n: int) -> tuple[np.ndarray, float, float, float]:
    """SIB-CL (Loh et al., Nat. Commun. 2022): Fourier sum over G in {-1,0,1}², no symmetry."""
    field = _fourier_field(rng, g_max=1, n=n, decay=0.0)
    filling = rng.uniform(0.01, 0.99)
    eps_a, eps_b = rng.uniform(1.0, 20.0, 2)
    mask, actual = _level_set(field, filling)
    return mask, eps_a, eps_b, actual


def _draw_gapped(rng: np.random.Generator, n: int) -> tuple[np.ndarray, float, float, float]:
    """High-index C4v inclusions (ε ~ U(6, 20)) in a low-index background (ε ~ U(1, 2)).

    The level set is taken over G in {-2..2}² (25 components, SIB-CL has 9) with amplitudes
    decaying as (1 + |G|²)^(-3/2), averaged over D4 about the cell centre; fillings ~ U(0.08, 0.35).
    Isolated high-index inclusions at these fillings are what opens TM gaps between bands 1 and
    2; these choices were tuned on a few hundred cells (measured fraction: see the README).
    """
    field = np.mean(d4_transforms(_fourier_field(rng, g_max=2, n=n, decay=3.0)), axis=0)
    field = field.ravel()[_orbit_representatives(n)]
    filling = rng.uniform(0.08, 0.35)
    eps_background = rng.uniform(1.0, 2.0)
    eps_inclusion = rng.uniform(6.0, 20.0)
    mask, actual = _level_set(field, filling)
    return mask, eps_background, eps_inclusion, actual


_Draw = Callable[[np.random.Generator, int], tuple[np.ndarray, float, float, float]]
_DRAWS: dict[str, _Draw] = {
    "gapped": _draw_gapped,
    "sibcl": _draw_sibcl,
}


def check_config(config: str) -> str:
    """Return ``config`` if it names a cell distribution, else raise ValueError listing them."""
    if config not in _DRAWS:
        raise ValueError(f"unknown unit-cell config {config!r}; accepted: {', '.join(CONFIGS)}")
    return config


def sample_unit_cells(n: int, config: str = "gapped", seed: int = 0, start: int = 0) -> UnitCells:
    """Draw cells ``start .. start + n - 1`` of ``config`` with ``seed``, and their parameters.

    Args:
        n: number of cells (>= 0).
        config: ``"gapped"`` (default; C4v high-index inclusions, TM gaps common) or ``"sibcl"``
            (the SIB-CL distribution: no symmetry, both ε ~ U(1, 20), filling ~ U(0.01, 0.99)).
        seed: non-negative integer; the same (config, seed, index) always gives the same cell.
        start: index of the first cell, so a dataset shard can be drawn on its own.

    Returns:
        :class:`UnitCells` with ``eps`` of shape ``(n, 32, 32)``.
    """
    draw = _DRAWS[check_config(config)]
    for name, value in (("n", n), ("seed", seed), ("start", start)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    eps = np.empty((n, N_PIXELS, N_PIXELS))
    params = np.empty((3, n))
    for i in range(n):
        rng = np.random.default_rng([seed, start + i])
        mask, eps_background, eps_inclusion, filling = draw(rng, N_PIXELS)
        eps[i] = np.where(mask, eps_inclusion, eps_background)
        params[:, i] = eps_background, eps_inclusion, filling
    return UnitCells(eps, *params)


def random_unit_cells(n: int, config: str = "gapped", seed: int = 0) -> np.ndarray:
    """``(n, 32, 32)`` float64 permittivities of ``n`` random cells (see sample_unit_cells)."""
    return sample_unit_cells(n, config, seed).eps
