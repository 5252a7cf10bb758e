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
from functools import partial
from typing import NamedTuple

import numpy as np

from keras_imnn.groups import orbit

N_PIXELS = 32
#: Cell families, in the order of the ``family`` index every cell carries.
FAMILIES = ("sibcl", "gapped", "circle", "ellipse", "rectangle", "cross", "ring", "several", "smooth",
            "textbook", "veins", "sizes", "tiled", "pairs")
#: Each config's family → probability. A single-family config draws no family (its cells are
#: those it drew before families existed).
MIXES: dict[str, dict[str, float]] = {
    "gapped": {"gapped": 1.0},
    "sibcl": {"sibcl": 1.0},
    "general": {"sibcl": 0.15, "gapped": 0.15, "circle": 0.15, "ellipse": 0.1, "rectangle": 0.1,
                "cross": 0.1, "ring": 0.1, "several": 0.15},
    "smooth": {"smooth": 1.0},
    "varied": {"textbook": 0.3, "veins": 0.2, "sizes": 0.25, "tiled": 0.25},
    "pairs": {"pairs": 1.0},
}
CONFIGS = tuple(MIXES)


class UnitCells(NamedTuple):
    """A batch of two-tone unit cells and the parameters they were drawn with.

    eps: ``(n, 32, 32)`` float64 relative permittivity.
    eps_background, eps_inclusion: ``(n,)`` the two permittivities; the inclusion is the region
        where the level-set function is largest.
    filling: ``(n,)`` fraction of pixels holding ``eps_inclusion``.
    family: ``(n,)`` int64 index of each cell's family in :data:`FAMILIES`.
    """

    eps: np.ndarray
    eps_background: np.ndarray
    eps_inclusion: np.ndarray
    filling: np.ndarray
    family: np.ndarray


def pixel_centers(n: int = N_PIXELS) -> np.ndarray:
    """Pixel-centre coordinates ``(i + 1/2) / n`` along one axis, ``(n,)``, lattice units."""
    return (np.arange(n) + 0.5) / n


def _distance_to_center(n: int) -> np.ndarray:
    """``(n, n)`` distance of each pixel centre from the cell centre (1/2, 1/2)."""
    x = pixel_centers(n) - 0.5
    return np.hypot(x[:, None], x[None, :])


def _periodic_offset(center: float, n: int) -> np.ndarray:
    """``(n,)`` signed distance of each pixel centre from ``center`` along one axis, wrapped to [-1/2, 1/2)."""
    return (pixel_centers(n) - center + 0.5) % 1.0 - 0.5


def _square_distance(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """``(n, n)`` max-norm distance from offsets along rows ``dx`` and columns ``dy``: squares are its level sets."""
    return np.maximum(np.abs(dx)[:, None], np.abs(dy)[None, :])


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


def orbit_representatives(n: int) -> np.ndarray:
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


def _level_set(field: np.ndarray, filling: float) -> np.ndarray:
    """Mask of the ``round(filling · n²)`` largest pixels of ``field`` (at least 1, at most n² − 1).

    Ties at the threshold (symmetric orbits) are kept or dropped together, so symmetry survives;
    the filling may then differ by an orbit.
    """
    values = np.sort(field.ravel())[::-1]
    count = int(np.clip(round(filling * field.size), 1, field.size - 1))
    mask = field >= values[count - 1]
    if mask.all():  # a constant field: keep the cell two-tone by dropping the threshold orbit
        mask = field > values[count - 1]
    return mask


def _draw_sibcl(rng: np.random.Generator, n: int) -> tuple[np.ndarray, float, float]:
    """SIB-CL (Loh et al., Nat. Commun. 2022): Fourier sum over G in {-1,0,1}², no symmetry."""
    field = _fourier_field(rng, g_max=1, n=n, decay=0.0)
    filling = rng.uniform(0.01, 0.99)
    eps_a, eps_b = rng.uniform(1.0, 20.0, 2)
    return _level_set(field, filling), eps_a, eps_b


def _draw_gapped(rng: np.random.Generator, n: int) -> tuple[np.ndarray, float, float]:
    """High-index C4v inclusions (ε ~ U(6, 20)) in a low-index background (ε ~ U(1, 2)).

    The level set is taken over G in {-2..2}² (25 components, SIB-CL has 9) with amplitudes
    decaying as (1 + |G|²)^(-3/2), averaged over D4 about the cell centre; fillings ~ U(0.08, 0.35).
    Isolated high-index inclusions at these fillings are what opens TM gaps between bands 1 and
    2; these choices were tuned on a few hundred cells (measured fraction: see the README).
    """
    field = np.mean(d4_transforms(_fourier_field(rng, g_max=2, n=n, decay=3.0)), axis=0)
    field = field.ravel()[orbit_representatives(n)]
    filling = rng.uniform(0.08, 0.35)
    eps_background = rng.uniform(1.0, 2.0)
    eps_inclusion = rng.uniform(6.0, 20.0)
    return _level_set(field, filling), eps_background, eps_inclusion


def _draw_smooth(rng: np.random.Generator, n: int) -> tuple[np.ndarray, float, float]:
    """The ``gapped`` level sets without the symmetrization: smooth blobs of any shape, anywhere, as
    high-index rods (ε ~ U(4, 20)) in a low-index background (ε 1, or ~ U(1, 2)), fillings ~ U(0.05, 0.5), or
    with the two ε swapped (holes), fillings ~ U(0.2, 0.8).

    The cells that gave the general-trained models false gaps (hand-drawn blobs in air, README "Cells drawn
    by hand"): the general mix has such smooth asymmetric shapes only as sibcl cells, whose ε ~ U(1, 20)
    seldom gives air and a high contrast together.
    """
    field = _fourier_field(rng, g_max=2, n=n, decay=3.0)
    eps_low = 1.0 if rng.random() < 0.5 else rng.uniform(1.0, 2.0)
    eps_high = rng.uniform(4.0, 20.0)
    if rng.random() < 0.5:
        return _level_set(field, rng.uniform(0.05, 0.5)), eps_low, eps_high
    return _level_set(field, rng.uniform(0.2, 0.8)), eps_high, eps_low


#: The 3 × 3 periodic images of a shape: with displacements wrapped to [-1/2, 1/2), they cover
#: every pixel within 3/2 of the shape's centre, beyond the largest shape's reach (√2 · 0.49).
_IMAGES = np.arange(-1.0, 2.0)


def _shape_mask(rng: np.random.Generator, kind: str, n: int) -> np.ndarray:
    """One shape of ``kind`` at a random place, with periodic wrap-around: ``(n, n)`` bool.

    Sizes (lattice units): circle radius ~ U(0.05, 0.48); ellipse semi-axes ~ U(0.05, 0.48);
    rectangle half-sides ~ U(0.03, 0.49) (a square 1 time in 3); cross arms of half-length
    ~ U(0.15, 0.5) and half-width ~ U(0.03, 0.15); ring outer radius ~ U(0.15, 0.48) and width
    ~ U(0.07, outer − 0.05). Shapes with an orientation are axis-aligned half the time, else at an
    angle ~ U(0, π). The centre lies on the half-pixel grid (k/2n), so an axis-aligned shape keeps
    its symmetry on the pixels exactly (and the solver uses it).
    """
    dx, dy = (_periodic_offset(c, n) for c in rng.integers(0, 2 * n, 2) / (2 * n))
    x = dx[None, :, None, None] + _IMAGES[:, None, None, None]  # (3, n, 1, 1): x image, i, j, y image
    y = dy[None, None, :, None] + _IMAGES[None, None, None, :]  # (1, 1, n, 3)
    if kind in ("ellipse", "rectangle", "cross") and rng.random() < 0.5:
        angle = rng.uniform(0.0, np.pi)
        x, y = np.cos(angle) * x + np.sin(angle) * y, np.cos(angle) * y - np.sin(angle) * x
    if kind == "circle":
        inside = np.hypot(x, y) <= rng.uniform(0.05, 0.48)
    elif kind == "ellipse":
        a, b = rng.uniform(0.05, 0.48, 2)
        inside = (x / a) ** 2 + (y / b) ** 2 <= 1.0
    elif kind == "rectangle":
        a, b = rng.uniform(0.03, 0.49, 2)
        b = a if rng.random() < 1 / 3 else b
        inside = (np.abs(x) <= a) & (np.abs(y) <= b)
    elif kind == "cross":
        arm, width = rng.uniform(0.15, 0.5), rng.uniform(0.03, 0.15)
        ax, ay = np.abs(x), np.abs(y)
        inside = ((ax <= arm) & (ay <= width)) | ((ax <= width) & (ay <= arm))
    else:  # ring
        outer = rng.uniform(0.15, 0.48)
        r = np.hypot(x, y)
        # At least ~2 pixels wide: 1-pixel rings put the solver's TE bands 6 % off (MPB spot check).
        inside = (r <= outer) & (r > outer - rng.uniform(0.07, outer - 0.05))
    return inside.any(axis=(0, 3))


_SHAPES = ("circle", "ellipse", "rectangle", "cross", "ring")


def _draw_shapes(rng: np.random.Generator, n: int, kind: str) -> tuple[np.ndarray, float, float]:
    """One shape of ``kind``, or 2–4 of random kinds for ``"several"``, of one material.

    Permittivities: air (ε 1) and a dielectric ~ U(1, 20) half the time, else two ε ~ U(1, 20);
    the shapes hold the higher one (rods) or the lower one (holes) with equal odds. A draw that
    covers every pixel is redrawn, so the cell stays two-tone.
    """
    eps_background, eps_inclusion = _draw_materials(rng)
    while True:
        kinds = [kind] if kind != "several" else rng.choice(_SHAPES, rng.integers(2, 5))
        mask = np.logical_or.reduce([_shape_mask(rng, k, n) for k in kinds])
        if not mask.all():
            return mask, eps_background, eps_inclusion


def _draw_materials(rng: np.random.Generator) -> tuple[float, float]:
    """(background, inclusion) ε as the shape families draw them: air and a dielectric half the time."""
    eps_low, eps_high = (1.0, rng.uniform(1.0, 20.0)) if rng.random() < 0.5 else np.sort(rng.uniform(1.0, 20.0, 2))
    return (eps_low, eps_high) if rng.random() < 0.5 else (eps_high, eps_low)


def _draw_textbook(rng: np.random.Generator, n: int) -> tuple[np.ndarray, float, float]:
    """The textbook crystals over their full size range: a centred circular (3 in 4) or square rod of
    dielectric (ε ~ U(2, 20)) in air or ε ~ U(1, 1.5), or the same as an air hole in a slab, radius or
    half-side ~ U(0.03, 0.5); holes past 0.5 leave isolated veins. Rods near zero radius and holes near
    touching are where the general mix's shapes are rare."""
    eps_low = 1.0 if rng.random() < 0.7 else rng.uniform(1.0, 1.5)
    eps_high = rng.uniform(2.0, 20.0)
    x = pixel_centers(n) - 0.5
    rod = rng.random() < 0.5
    radius = rng.uniform(0.03, 0.5) if rod else rng.uniform(0.05, 0.62)
    if rng.random() < 0.75:
        inside = _distance_to_center(n) <= radius
    else:
        inside = _square_distance(x, x) <= min(radius, 0.47)
    if inside.all() or not inside.any():
        inside = _distance_to_center(n) <= 0.25
    return (inside, eps_low, eps_high) if rod else (inside, eps_high, eps_low)


def _draw_veins(rng: np.random.Generator, n: int) -> tuple[np.ndarray, float, float]:
    """Thin features: 1–3 lines of 1–3 pixels along rows, columns or both (a grid), or a thin-walled
    square or circular frame, as dielectric in air or air cuts in a slab."""
    mask = np.zeros((n, n), bool)
    kind = rng.integers(0, 3)
    if kind < 2:
        axes = (0, 1) if kind == 1 else (int(rng.integers(0, 2)),)
        for axis in axes:
            for start in rng.choice(n, rng.integers(1, 4), replace=False):
                rows = (start + np.arange(rng.integers(1, 4))) % n
                if axis == 0:
                    mask[rows] = True
                else:
                    mask[:, rows] = True
    else:
        width = rng.integers(1, 3) / n
        outer = rng.uniform(0.15, 0.45)
        x = pixel_centers(n) - 0.5
        r = _square_distance(x, x) if rng.random() < 0.5 else _distance_to_center(n)
        mask = (r <= outer) & (r > outer - width - 0.5 / n)
        mask = np.roll(mask, rng.integers(0, n, 2), (0, 1))
    if mask.all():
        mask[0] = False
    eps_low = 1.0 if rng.random() < 0.7 else rng.uniform(1.0, 2.0)
    eps_high = rng.uniform(2.0, 20.0)
    return (mask, eps_low, eps_high) if rng.random() < 0.6 else (mask, eps_high, eps_low)


def _disc_or_square(rng: np.random.Generator, n: int, size: float, p_disc: float) -> np.ndarray:
    """``(n, n)`` bool: a circle of radius ``size`` (probability ``p_disc``) or an axis-aligned square of half-side
    ``size``, centred anywhere in the cell, wrapped periodically."""
    dx, dy = (_periodic_offset(c, n) for c in rng.uniform(0.0, 1.0, 2))
    return (np.hypot(dx[:, None], dy[None, :]) if rng.random() < p_disc else _square_distance(dx, dy)) <= size


def _draw_sizes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, float, float]:
    """2–4 circles or squares of clearly different sizes (one large, the others ~ U(0.2, 0.6) of it)
    anywhere in the cell, of one material: the general mix's ``several`` shapes are of like size."""
    big = rng.uniform(0.12, 0.35)
    mask = np.zeros((n, n), bool)
    for size in (big, *big * rng.uniform(0.2, 0.6, rng.integers(1, 4))):
        mask |= _disc_or_square(rng, n, size, p_disc=0.7)
    if not mask.any():
        mask[n // 2, n // 2] = True
    return (mask, *_draw_materials(rng)) if not mask.all() else _draw_sizes(rng, n)


def _draw_pairs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, float, float]:
    """Two inclusions of clearly different sizes, a diatomic basis: circles (3 in 4) or squares, the larger
    of radius or half-side ~ U(0.08, 0.3), the smaller ~ U(0.15, 0.85) of it (at least a pixel), anywhere
    but apart (the smaller redrawn up to 10 times while it touches the larger); dielectric rods
    (ε ~ U(2, 20)) in air or ε ~ U(1, 1.5) (2 in 3), or the same as holes in a slab. ``sizes`` draws such
    cells in any two materials and mostly more than two."""
    big = rng.uniform(0.08, 0.3)
    small = max(big * rng.uniform(0.15, 0.85), 1.0 / n)
    first = _disc_or_square(rng, n, big, p_disc=0.75)
    near = np.logical_or.reduce([np.roll(first, (i, j), (0, 1)) for i in (-1, 0, 1) for j in (-1, 0, 1)])
    for _ in range(10):
        second = _disc_or_square(rng, n, small, p_disc=0.75)
        if not (second & near).any():
            break
    eps_low = 1.0 if rng.random() < 0.7 else rng.uniform(1.0, 1.5)
    eps_high = rng.uniform(2.0, 20.0)
    mask = first | second
    return (mask, eps_low, eps_high) if rng.random() < 2 / 3 else (mask, eps_high, eps_low)


def _draw_tiled(rng: np.random.Generator, n: int) -> tuple[np.ndarray, float, float]:
    """A motif from another family drawn on an n/2 (4 in 5) or n/4 grid and tiled to fill the cell,
    shifted at random: the cell's true period is shorter, so its bands are the folded bands of the smaller
    cell (users draw such supercells; the general mix never does)."""
    parts = 2 if rng.random() < 0.8 else 4
    family = rng.choice(("circle", "ellipse", "rectangle", "cross", "ring", "several", "textbook", "smooth", "sibcl"))
    while True:
        mask, eps_background, eps_inclusion = _FAMILY_DRAWS[str(family)](rng, n // parts)
        if mask.any() and not mask.all():
            break
    mask = np.roll(np.tile(mask, (parts, parts)), rng.integers(0, n, 2), (0, 1))
    return mask, eps_background, eps_inclusion


_FamilyDraw = Callable[[np.random.Generator, int], tuple[np.ndarray, float, float]]
_FAMILY_DRAWS: dict[str, _FamilyDraw] = {
    "sibcl": _draw_sibcl,
    "gapped": _draw_gapped,
    **{kind: partial(_draw_shapes, kind=kind) for kind in (*_SHAPES, "several")},
    "smooth": _draw_smooth,
    "textbook": _draw_textbook,
    "veins": _draw_veins,
    "sizes": _draw_sizes,
    "tiled": _draw_tiled,
    "pairs": _draw_pairs,
}


def check_config(config: str) -> str:
    """Return ``config`` if it names a cell distribution, else raise ValueError listing them."""
    if config not in MIXES:
        raise ValueError(f"unknown unit-cell config {config!r}; accepted: {', '.join(CONFIGS)}")
    return config


def sample_unit_cells(n: int, config: str = "gapped", seed: int = 0, start: int = 0) -> UnitCells:
    """Draw cells ``start .. start + n - 1`` of ``config`` with ``seed``, and their parameters.

    Args:
        n: number of cells (>= 0).
        config: ``"gapped"`` (default; C4v high-index inclusions, TM gaps common), ``"sibcl"``
            (the SIB-CL distribution: no symmetry, both ε ~ U(1, 20), filling ~ U(0.01, 0.99)) or
            ``"general"`` (the mix :data:`MIXES` gives: both of these and drawn shapes) or ``"smooth"``
            (asymmetric smooth blobs, high contrast, rods or holes) or ``"varied"`` (textbook rods and holes
            over their full size range, thin veins and frames, inclusions of several sizes, motifs tiled 2×2
            or 4×4) or ``"pairs"`` (two inclusions of clearly different sizes: diatomic bases).
        seed: non-negative integer; the same (config, seed, index) always gives the same cell.
        start: index of the first cell, so a dataset shard can be drawn on its own.

    Returns:
        :class:`UnitCells` with ``eps`` of shape ``(n, 32, 32)``.
    """
    mix = MIXES[check_config(config)]
    families = np.array([FAMILIES.index(name) for name in mix])
    probabilities = np.array(list(mix.values()))
    for name, value in (("n", n), ("seed", seed), ("start", start)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    eps = np.empty((n, N_PIXELS, N_PIXELS))
    params = np.empty((3, n))
    family = np.empty(n, dtype=np.int64)
    for i in range(n):
        rng = np.random.default_rng([seed, start + i])
        family[i] = families[0] if len(families) == 1 else rng.choice(families, p=probabilities)
        mask, eps_background, eps_inclusion = _FAMILY_DRAWS[FAMILIES[family[i]]](rng, N_PIXELS)
        eps[i] = np.where(mask, eps_inclusion, eps_background)
        params[:, i] = eps_background, eps_inclusion, mask.mean()
    return UnitCells(eps, *params, family)


def random_unit_cells(n: int, config: str = "gapped", seed: int = 0) -> np.ndarray:
    """``(n, 32, 32)`` float64 permittivities of ``n`` random cells (see sample_unit_cells)."""
    return sample_unit_cells(n, config, seed).eps
