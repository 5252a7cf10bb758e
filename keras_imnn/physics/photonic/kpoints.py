"""k-point sets of the square lattice and their reduction by time reversal and cell symmetry.

k-points are in reciprocal-lattice units; bands are periodic, ω(k + G) = ω(k). Real ε gives
time reversal, ω(−k) = ω(k); a cell invariant under a point operation g of D4 (up to a
translation) gives ω(g k) = ω(k). Only one k-point per orbit needs solving.
"""
from __future__ import annotations

from itertools import pairwise

import numpy as np

from keras_imnn.groups import GroupElement, group_elements, shift_symmetries

#: The eight elements of D4 (:func:`keras_imnn.groups.group_elements` order) as integer matrices
#: acting on (x, y) column vectors.
D4 = np.stack([g.matrix for g in group_elements("d4")])
INVERSION = group_elements("d4").index(GroupElement(False, True, True))  # index of −1 in D4


def k_grid(n: int = 16) -> np.ndarray:
    """Uniform k-grid k = i/n − 1/2 (i = 0..n−1) per direction, reciprocal-lattice units.

    For even n it contains Γ, X and M and maps onto itself under the square's point group D4
    modulo reciprocal-lattice vectors. Returns (n·n, 2) float64, kx-major (row = i·n + j).
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"k_grid: n must be a positive integer, got {n!r}")
    k = np.arange(n) / n - 0.5
    kx, ky = np.meshgrid(k, k, indexing="ij")
    return np.stack([kx.ravel(), ky.ravel()], axis=-1)


def gamma_x_m_path(points_between: int = 4) -> np.ndarray:
    """Γ → X → M → Γ path with ``points_between`` points interpolated between corners.

    Γ = (0, 0), X = (1/2, 0), M = (1/2, 1/2), reciprocal-lattice units. The default gives the
    16 k-points of the MPB reference. Returns (3·(points_between+1)+1, 2) float64.
    """
    if not isinstance(points_between, (int, np.integer)) or points_between < 0:
        raise ValueError(f"points_between must be an integer >= 0, got {points_between!r}")
    corners = np.array([[0.0, 0.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.0]])
    t = np.arange(points_between + 1)[:, None] / (points_between + 1)
    legs = [a + t * (b - a) for a, b in pairwise(corners)]
    return np.concatenate(legs + [corners[-1:]])


def reduce_k_points(k_points: np.ndarray,
                    ops: np.ndarray = D4[[0, INVERSION]]) -> tuple[np.ndarray, np.ndarray]:
    """One representative per orbit of k-points under ``ops`` and reciprocal-lattice vectors.

    Args:
        k_points: (n_k, 2) reciprocal-lattice units.
        ops: (n_ops, 2, 2) integer point operations with ω(g k) = ω(k), identity included.
            The default {1, −1} is time reversal.

    Returns:
        ``(unique, inverse)``: solve ``k_points[unique]``, then
        ``bands_full = bands_unique[..., inverse, :]``. On k_grid(16), time reversal leaves 130
        of 256 points and full D4 with time reversal 45.
    """
    k = np.asarray(k_points, dtype=np.float64)
    scale = 2**30  # k mod 1 on an integer lattice fine enough that grid points compare exactly
    images = np.einsum("gij,kj->kgi", np.asarray(ops), k)
    keys = np.round(np.mod(images, 1.0) * scale).astype(np.int64) % scale  # (n_k, n_ops, 2)
    keys = keys[..., 0] * scale + keys[..., 1]
    _, unique, inverse = np.unique(keys.min(axis=1), return_index=True, return_inverse=True)
    return unique, inverse.ravel()


def time_reversal_reduce(k_points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`reduce_k_points` under time reversal only: ω(k) = ω(−k) for real ε."""
    return reduce_k_points(k_points)


def cell_symmetries(cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Point operations of D4 that map the pixel cell onto itself up to a translation.

    Pixel values are compared to a relative 1e-12 (round-off of a symmetrized generator), so a
    cell that is only nearly symmetric counts as not symmetric: its bands are then simply not
    reduced by that operation.

    Args:
        cell: (n, n) permittivity.

    Returns:
        ``(ops, shifts)``: indices into :data:`D4` (identity first) and, per operation, the
        integer pixel shift s with ``np.roll(g·cell, s) == cell`` (:func:`keras_imnn.groups.transform`).
    """
    found, shifts = shift_symmetries(cell[None, ..., None], "d4", rtol=1e-12)
    ops = np.flatnonzero(found[0])
    return ops, shifts[0, ops]
