"""Two-tone unit cells drawn by hand, independently of ``cells.py``'s generator (numpy only, no Keras).

What a photonics user draws first and what the general mix (``cells.FAMILIES``) does not draw the same way:
textbook rods (ε 8.9 and 12–13, r 0.10–0.40) and air holes (ε 11.4–13), squares and diamonds, triangles and
triangular holes, two rods of different radii, a square grid of thin veins, off-centre rods (the same label as
centred ones, by shift invariance), low-contrast cells and smooth random blobs (sums of Gaussians, a generator
the mix does not use): 48 cells in 9 groups (``independent_cells``). The shapes are ``(32, 32)`` masks on the
pixel centres of ``cells.pixel_centers``, first index x, in lattice units; all but the triangle wrap around the
periodic cell. ``benchmarks/bench_photonic_independent.py`` scores the checkpoints on them.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from keras_imnn.physics.photonic.cells import N_PIXELS, pixel_centers

_X = pixel_centers(N_PIXELS)
_XX, _YY = np.meshgrid(_X, _X, indexing="ij")  # first index x, as every cell of the project


def _periodic(dx: np.ndarray) -> np.ndarray:
    return dx - np.round(dx)  # nearest image: the cell is a torus


def disc(cx: float, cy: float, r: float) -> np.ndarray:
    """``(32, 32)`` bool mask of the disc of radius ``r`` centred at ``(cx, cy)``, wrapped around the cell."""
    return np.hypot(_periodic(_XX - cx), _periodic(_YY - cy)) <= r


def square(half: float, angle: float = 0.0) -> np.ndarray:
    """``(32, 32)`` bool mask of the centred square of half-side ``half``, turned by ``angle`` (radians)."""
    c, s = np.cos(angle), np.sin(angle)
    dx, dy = _periodic(_XX - 0.5), _periodic(_YY - 0.5)
    return np.maximum(np.abs(c * dx + s * dy), np.abs(-s * dx + c * dy)) <= half


def triangle(side: float) -> np.ndarray:
    """``(32, 32)`` bool mask of an equilateral triangle of side ``side``: centred, one edge along y (a mirror,
    no 90° symmetry)."""
    dx, dy = _XX - 0.5, _YY - 0.5
    h = side * np.sqrt(3) / 2
    inside = dx >= -h / 3
    for angle in (np.pi / 3, -np.pi / 3):  # the two slanted edges
        inside &= np.cos(angle) * dx + np.sin(angle) * dy <= h / 3
    return inside


def veins(width: float) -> np.ndarray:
    """``(32, 32)`` bool mask of a square grid of veins of width ``width`` along the cell's edges."""
    return (np.abs(_periodic(_XX)) <= width / 2) | (np.abs(_periodic(_YY)) <= width / 2)


def blob(seed: int, filling: float) -> np.ndarray:
    """``(32, 32)`` bool mask of a smooth random blob (a level set of three periodic Gaussians) filling the
    fraction ``filling`` of the pixels; the same ``seed`` draws the same blob."""
    rng = np.random.default_rng(1000 + seed)
    field = sum(rng.uniform(0.5, 1.0) * np.exp(-(_periodic(_XX - x) ** 2 + _periodic(_YY - y) ** 2)
                                                / (2 * rng.uniform(0.06, 0.16) ** 2))
                for x, y in rng.uniform(0, 1, (3, 2)))
    return field >= np.quantile(field, 1 - filling)


def two_tone(mask: np.ndarray, eps_in: float, eps_out: float) -> np.ndarray:
    """``(32, 32)`` permittivity: ``eps_in`` where ``mask`` (bool, ``(32, 32)``) is set, else ``eps_out``."""
    return np.where(mask, eps_in, eps_out)


def independent_cells() -> tuple[np.ndarray, list[str], list[str]]:
    """The 48 cells: ``(48, 32, 32)`` float64 permittivities, their 9 group names and one-line descriptions
    (lists of 48 str)."""
    cells: list[tuple[str, str, np.ndarray]] = []

    def add(group: str, text: str, make: Callable[[], np.ndarray]) -> None:
        cells.append((group, text, make()))

    for r in (0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40):
        add("rods", f"rod eps 8.9 r {r}", lambda r=r: two_tone(disc(0.5, 0.5, r), 8.9, 1.0))
    for eps, r in ((12.0, 0.18), (13.0, 0.25)):
        add("rods", f"rod eps {eps} r {r}", lambda eps=eps, r=r: two_tone(disc(0.5, 0.5, r), eps, 1.0))
    for eps, r in ((13.0, 0.20), (13.0, 0.30), (13.0, 0.40), (13.0, 0.45), (13.0, 0.48), (11.4, 0.35)):
        add("holes", f"hole r {r} in eps {eps}", lambda eps=eps, r=r: two_tone(disc(0.5, 0.5, r), 1.0, eps))
    for half in (0.10, 0.175, 0.25):
        add("squares", f"square rod eps 11.4 side {2 * half}", lambda h=half: two_tone(square(h), 11.4, 1.0))
    for half in (0.18, 0.25):
        add("squares", f"diamond eps 9 half-diagonal {half * np.sqrt(2):.2f}",
            lambda h=half: two_tone(square(h, np.pi / 4), 9.0, 1.0))
    add("squares", "square hole side 0.6 in eps 12", lambda: two_tone(square(0.3), 1.0, 12.0))
    for side in (0.5, 0.7):
        add("triangles", f"triangle eps 12 side {side}", lambda s=side: two_tone(triangle(s), 12.0, 1.0))
        add("triangles", f"triangular hole side {side + 0.2:.1f} in eps 12",
            lambda s=side: two_tone(triangle(s + 0.2), 1.0, 12.0))
    for eps, (r1, r2) in ((10.0, (0.15, 0.10)), (13.0, (0.20, 0.08)), (8.9, (0.12, 0.12))):
        add("diatomic", f"rods eps {eps} r {r1} at (1/4,1/4) and r {r2} at (3/4,3/5)",
            lambda eps=eps, r1=r1, r2=r2: two_tone(disc(0.25, 0.25, r1) | disc(0.75, 0.6, r2), eps, 1.0))
    add("diatomic", "checkerboard squares eps 12 side 0.4",
        lambda: two_tone(square(0.2) | np.roll(square(0.2), (16, 16), (0, 1)), 12.0, 1.0))
    for width, eps in ((0.10, 13.0), (0.16, 8.9), (0.25, 11.4)):
        add("veins", f"square grid of veins width {width} eps {eps}",
            lambda w=width, e=eps: two_tone(veins(w), e, 1.0))
    for (x, y), r in (((0.3, 0.2), 0.2), ((0.1, 0.9), 0.25), ((0.0, 0.0), 0.3)):
        add("off-centre", f"rod eps 8.9 r {r} at ({x}, {y})", lambda x=x, y=y, r=r: two_tone(disc(x, y, r), 8.9, 1.0))
    add("off-centre", "hole r 0.4 at (0.1, 0.35) in eps 13", lambda: two_tone(disc(0.1, 0.35, 0.4), 1.0, 13.0))
    for eps_in, eps_out, r in ((2.1, 1.0, 0.30), (4.0, 1.0, 0.35), (1.0, 4.0, 0.40), (6.0, 3.0, 0.25)):
        add("low contrast", f"disc eps {eps_in} in eps {eps_out} r {r}",
            lambda a=eps_in, b=eps_out, r=r: two_tone(disc(0.5, 0.5, r), a, b))
    for seed, (filling, eps_in, eps_out) in enumerate(
            ((0.2, 12.0, 1.0), (0.35, 9.0, 1.0), (0.5, 13.0, 1.0), (0.7, 1.0, 12.0),
             (0.3, 16.0, 2.0), (0.15, 18.0, 1.5), (0.8, 1.0, 9.0), (0.45, 6.0, 1.0))):
        add("blobs", f"blob {seed}: filling {filling} eps {eps_in} in {eps_out}",
            lambda s=seed, f=filling, a=eps_in, b=eps_out: two_tone(blob(s, f), a, b))
    groups, texts, eps = zip(*cells)
    return np.stack(eps).astype(np.float64), list(groups), list(texts)
