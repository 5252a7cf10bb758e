"""Point groups of the square and rectangular lattice as numpy data, shared by layers and physics.

One representation serves every user: an element is "transpose the two axes (optional), then flip
rows and/or columns" (:class:`GroupElement`). On a pixel or site array it acts by
:func:`transform` (index i ↦ n − 1 − i under a flip: a reflection about the cell centre); on
vectors (k-points, reciprocal vectors, site coordinates about site 0) by its integer
:attr:`GroupElement.matrix`. Both are the same map up to a lattice translation: the pixel at
centre p (relative to the cell centre) goes to ``matrix @ p``.

Numpy only, so the physics packages can use it without Keras; :func:`transform` also runs on
tensors when given ``xp=keras.ops``.

The elements that transpose (those of C4 and D4 beyond D2) map an ``H x W`` array to a ``W x H``
one: a symmetry of one lattice only when it is square (:data:`SQUARE_ONLY`). Between the
``Lx x Ly`` and ``Ly x Lx`` lattices they are still well defined, which an invariant model with a
size-agnostic trunk uses (``GroupAverage`` averages a rectangle over D4 by running the transposed
copies as a second batch: f(x) on ``Lx x Ly`` is then f(rot90 x) on ``Ly x Lx``).

Which group a lattice has on this grid: the square J1-J2 lattice D2 on rectangles and D4 on
squares (D4 across the two orientations of a rectangle); the anisotropic triangular one (J2 on
the (+1, +1) diagonal only) keeps only the maps that fix that diagonal: C2 on rectangles, and on
squares the inversion and the two diagonal mirrors {E, I, x <-> y, (x, y) -> (-y, -x)}, which is
not one of :data:`GROUPS` (D4, C4 and D2 contain x -> -x or the 90° rotation, which turn the
(+1, +1) diagonal into the (+1, -1) one; ``keras_imnn.lattices`` lists its generators).
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np


class GroupElement(NamedTuple):
    """Transpose the two spatial axes (if ``transpose``), then flip rows / columns."""

    transpose: bool
    flip_rows: bool
    flip_cols: bool

    def inverse(self) -> GroupElement:
        # Undoing "transpose, then flip" is "flip, then transpose" = "transpose, then swapped flips".
        if self.transpose:
            return GroupElement(True, self.flip_cols, self.flip_rows)
        return self

    @property
    def matrix(self) -> np.ndarray:
        """``(2, 2)`` int matrix M with ``transform(x, g)[M p] = x[p]``, p a position about the centre."""
        swap = np.array([[0, 1], [1, 0]]) if self.transpose else np.eye(2, dtype=int)
        return np.diag([-1 if self.flip_rows else 1, -1 if self.flip_cols else 1]) @ swap


_E, _T = False, True
GROUPS: dict[str, tuple[GroupElement, ...]] = {
    "trivial": (GroupElement(_E, _E, _E),),
    # rotation by 180°
    "c2": (GroupElement(_E, _E, _E), GroupElement(_E, _T, _T)),
    # mirrors along both axes and their product (the rectangular lattice's point group)
    "d2": tuple(GroupElement(_E, r, c) for r in (_E, _T) for c in (_E, _T)),
    # 0°, 90°, 180°, 270° (np.rot90 is transpose-then-flip-rows)
    "c4": (
        GroupElement(_E, _E, _E),
        GroupElement(_T, _T, _E),
        GroupElement(_E, _T, _T),
        GroupElement(_T, _E, _T),
    ),
    "d4": tuple(GroupElement(t, r, c) for t in (_E, _T) for r in (_E, _T) for c in (_E, _T)),
}
SQUARE_ONLY = frozenset({"c4", "d4"})


def normalize_group(group: str | None) -> str:
    """Canonical group name; ``None`` means the trivial group."""
    name = "trivial" if group is None else str(group).lower()
    if name not in GROUPS:
        raise ValueError(f"unknown symmetry group {group!r}; accepted: {sorted(GROUPS)} or None")
    return name


def group_elements(group: str | None) -> tuple[GroupElement, ...]:
    """The elements of ``group`` ("d4", "c4", "d2", "c2", "trivial"/None), identity first."""
    return GROUPS[normalize_group(group)]


def transposes(group: str | None) -> bool:
    """Whether ``group`` has elements that transpose (swap H and W): C4 and D4."""
    return any(g.transpose for g in group_elements(group))


def check_group_fits(group: str, height: int | None, width: int | None, where: str, alternatives: str = "") -> None:
    """D4 and C4 map the lattice to itself only if it is square.

    ``alternatives`` is appended to the list of what is accepted (e.g. where the caller can average
    over D4 on rectangles too).
    """
    if group in SQUARE_ONLY and height is not None and width is not None and height != width:
        raise ValueError(
            f"{where}: group {group!r} needs a square input (H == W) but got H={height}, W={width}: its "
            f"rotations and transposes turn an H x W array into a W x H one. Accepted: 'd2' or 'c2' for "
            f"rectangular lattices{alternatives}."
        )


def transform(x: Any, g: GroupElement, axes: tuple[int, int] = (1, 2), xp: Any = np) -> Any:
    """Apply ``g`` to the two ``axes`` of ``x`` (default: those of (batch, H, W, C)).

    ``xp`` is the array namespace: numpy (views, no copy) or ``keras.ops`` for tensors.
    """
    if g.transpose:
        x = xp.swapaxes(x, *axes)
    if g.flip_rows:
        x = xp.flip(x, axes[0])
    if g.flip_cols:
        x = xp.flip(x, axes[1])
    return x


def orbit(x: np.ndarray, group: str | None, axes: tuple[int, int] = (1, 2)) -> list[np.ndarray]:
    """The images of ``x`` under every element of ``group``, in :func:`group_elements` order."""
    return [transform(x, g, axes) for g in group_elements(group)]


def site_permutation(g: GroupElement, shape: tuple[int, int]) -> np.ndarray:
    """``g`` about site 0 of a periodic ``(Lx, Ly)`` lattice, sites row-major: site i goes to ``p[i]``.

    An element that transposes maps a rectangle onto the ``(Ly, Lx)`` lattice: ``p[i]`` is then a site of
    that one (row-major over ``(Ly, Lx)``), as :func:`transform` maps an ``(Lx, Ly)`` array to ``(Ly, Lx)``.
    """
    lx, ly = shape
    nx, ny = (ly, lx) if g.transpose else (lx, ly)
    sites = np.arange(lx * ly)
    x, y = g.matrix @ np.stack([sites // ly, sites % ly])
    return (x % nx) * ny + (y % ny)


def shift_symmetries(x: np.ndarray, group: str | None, rtol: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Which elements g of ``group`` map each sample of ``x`` (N, H, W, C) onto a periodic shift of it.

    The candidate shift is the peak of the FFT cross-correlation of x with g·x (summed over
    channels); it is then checked on the values, exactly for ``rtol`` 0.

    Returns:
        ``(found, shifts)``: (N, |G|) bool, and (N, |G|, 2) int shifts s with
        ``np.roll(transform(x, g)[n], s, (0, 1)) == x[n]`` where found (the identity: s = 0).
    """
    elements = group_elements(group)
    found = np.zeros((len(x), len(elements)), dtype=bool)
    shifts = np.zeros((len(x), len(elements), 2), dtype=np.int64)
    found[:, 0] = True
    size = x.shape[1:3]
    spectrum = np.fft.rfft2(x, axes=(1, 2))
    for index, g in enumerate(elements[1:], start=1):
        if g.transpose and size[0] != size[1]:
            continue  # a transposed rectangle is no shift of the original
        image = transform(x, g)
        corr = np.fft.irfft2(spectrum * np.conj(np.fft.rfft2(image, axes=(1, 2))), s=size, axes=(1, 2)).sum(axis=-1)
        best = np.stack(np.unravel_index(corr.reshape(len(x), size[0] * size[1]).argmax(axis=1), size), axis=-1)
        # np.roll(image[n], best[n], (0, 1)) for every n at once: rolled[n, i, j] = image[n, i - s0, j - s1].
        rows = (np.arange(size[0]) - best[:, :1]) % size[0]
        cols = (np.arange(size[1]) - best[:, 1:]) % size[1]
        rolled = image[np.arange(len(x))[:, None, None], rows[:, :, None], cols[:, None, :]]
        # == where exact: about 20x faster than isclose on large data sets.
        same = rolled == x if rtol == 0 else np.isclose(rolled, x, rtol=rtol, atol=0.0)
        found[:, index] = same.all(axis=(1, 2, 3))
        shifts[:, index] = best
    return found, shifts


def orbit_is_translations(x: np.ndarray, group: str | None) -> bool:
    """True if, for every sample of ``x`` (N, H, W, C), each group image equals a periodic shift.

    Then a shift-invariant trunk gives the same output on every orbit element, so orbit averaging
    is the identity on ``x`` and a trivial-group model computes the same function at 1/|G| cost.
    Exact (array equality after the best circular shift, see :func:`shift_symmetries`).
    """
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"x must be (N, H, W, C); got shape {x.shape}")
    return bool(shift_symmetries(x, group)[0].all())
