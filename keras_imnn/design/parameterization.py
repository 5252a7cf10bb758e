"""From free design variables to a two-tone cell: density, D4 symmetrization, density filter, projection.

latent ``(S, 32, 32)`` → ρ = sigmoid(latent) → (optionally) the average over D4 (literature optima of square
lattices are C4v) → a periodic conic density filter of radius R pixels (the length scale) → the smoothed
threshold projection of Wang, Lazarov and Sigmund (2011) at sharpness β → ε = ε_min + ρ (ε_max − ε_min).
As β grows the projection tends to the step at ½, which :meth:`DensityMap.binary` applies exactly.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage

from keras_imnn.physics.photonic.cells import orbit_representatives

N = 32
#: Threshold of the projection: filtered density above it is the high-ε material.
ETA = 0.5


def conic_filter(radius: float, n: int = N) -> np.ndarray:
    """``(n², n²)`` row-stochastic matrix of the periodic conic filter, weights max(0, R − distance)."""
    d = np.minimum(np.arange(n), n - np.arange(n))  # periodic distance along one axis
    dist = np.hypot(d[:, None], d[None, :])
    kernel = np.maximum(0.0, radius - dist)
    kernel /= kernel.sum()
    # Entry (p, q) = kernel at the periodic offset q − p: filtered = flat @ W.
    i, j = np.divmod(np.arange(n * n), n)
    return kernel[(i[None, :] - i[:, None]) % n, (j[None, :] - j[:, None]) % n].astype(np.float32)


def d4_average(x: Any) -> Any:
    """The mean of ``(S, n, n)`` over the 8 elements of D4 about the cell centre (keras.ops)."""
    from keras import ops

    flips = [x, ops.flip(x, 1), ops.flip(x, 2), ops.flip(ops.flip(x, 1), 2)]
    return sum(flips + [ops.transpose(f, (0, 2, 1)) for f in flips]) / 8.0


def orbit_values(latent: np.ndarray) -> np.ndarray:
    """``(S, 32, 32)`` → ``(S, n_orbits)``: one value per D4 pixel orbit (136 on 32×32), the free variables of a
    D4-symmetric design (the parameterization gradient-free searches use)."""
    _, first, _ = np.unique(orbit_representatives(N).ravel(), return_index=True, return_inverse=True)
    return np.asarray(latent).reshape(len(latent), -1)[:, first]


def from_orbit_values(values: np.ndarray) -> np.ndarray:
    """Inverse of :func:`orbit_values`: ``(S, n_orbits)`` → D4-symmetric ``(S, 32, 32)`` float32."""
    _, inverse = np.unique(orbit_representatives(N).ravel(), return_inverse=True)
    return np.asarray(values, np.float32)[:, inverse].reshape(-1, N, N)


def project(rho: Any, beta: Any) -> Any:
    """Smoothed Heaviside at ``ETA`` with sharpness β (keras.ops); maps [0, 1] onto [0, 1]."""
    from keras import ops

    lo, hi = ops.tanh(beta * ETA), ops.tanh(beta * (1.0 - ETA))
    return (lo + ops.tanh(beta * (rho - ETA))) / (lo + hi)


class DensityMap:
    """The parameterization: ``latent`` ``(S, 32, 32)`` → ε ``(S, 32, 32)`` between ``eps_range``.

    Args:
        eps_range: (ε_min, ε_max) of the two materials.
        filter_radius: radius R of the conic filter in pixels (≤ 1: no filtering).
        symmetric: average the density over D4 (C4v designs).
    """

    def __init__(self, eps_range: tuple[float, float], filter_radius: float, symmetric: bool) -> None:
        self.eps_range = eps_range
        self.symmetric = symmetric
        self.weights = conic_filter(max(filter_radius, 1.0))

    def filtered(self, latent: Any) -> Any:
        """Filtered density ``(S, 32, 32)`` in [0, 1] before projection (keras.ops)."""
        from keras import ops

        rho = ops.sigmoid(latent)
        if self.symmetric:
            rho = d4_average(rho)
        return ops.reshape(ops.matmul(ops.reshape(rho, (-1, N * N)), self.weights), (-1, N, N))

    def eps(self, latent: Any, beta: Any) -> Any:
        """ε ``(S, 32, 32, 1)`` at projection sharpness β, differentiable in ``latent`` (keras.ops)."""
        lo, hi = self.eps_range
        return (lo + (hi - lo) * project(self.filtered(latent), beta))[..., None]

    def binary(self, latent: Any) -> np.ndarray:
        """``(S, 32, 32)`` bool, True where the high-ε material is: the projection's β → ∞ limit."""
        from keras import ops

        return ops.convert_to_numpy(self.filtered(latent)) > ETA

    def cells(self, mask: np.ndarray) -> np.ndarray:
        """Two-tone ε ``(S, 32, 32)`` float64 exactly in {ε_min, ε_max} from a bool mask."""
        lo, hi = self.eps_range
        return np.where(mask, hi, lo).astype(np.float64)


def boundary(mask: np.ndarray) -> np.ndarray:
    """``(32, 32)`` bool: the pixels of ``mask`` with a 4-neighbour of the other material (periodic)."""
    edge = np.zeros_like(mask)
    for axis in (0, 1):
        for step in (1, -1):
            edge |= np.roll(mask, step, axis) != mask
    return edge


def boundary_flips(mask: np.ndarray, n: int, rng: np.random.Generator, symmetric: bool,
                   max_flips: int = 3) -> np.ndarray:
    """``n`` variants ``(n, 32, 32)`` of one bool ``mask``: each flips 1 to ``max_flips`` pixels on the material
    :func:`boundary`, whole D4 orbits where ``symmetric`` (variants of a C4v design stay C4v). A variant may
    repeat another; fewer boundary pixels than flips: fewer."""
    orbits = orbit_representatives(N) if symmetric else np.arange(N * N).reshape(N, N)
    candidates = np.unique(orbits[boundary(mask)])
    out = np.repeat(mask[None], n, axis=0)
    for variant in out:
        chosen = rng.choice(candidates, min(int(rng.integers(1, max_flips + 1)), len(candidates)), replace=False)
        flip = np.isin(orbits, chosen)
        variant[flip] = ~variant[flip]
    return out


def disk(diameter: float) -> np.ndarray:
    """Boolean footprint of a disk of ``diameter`` pixels (odd side)."""
    r = (diameter - 1) / 2.0
    side = 2 * int(np.ceil(r)) + 1
    c = np.arange(side) - side // 2
    return np.hypot(c[:, None], c[None, :]) <= r + 1e-9


def _open(mask: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    """Periodic morphological opening of one ``(n, n)`` bool mask."""
    return ndimage.grey_opening(mask.astype(np.uint8), footprint=footprint, mode="wrap").astype(bool)


def enforce_min_feature(mask: np.ndarray, diameter: float) -> np.ndarray:
    """``(S, n, n)`` masks with every solid and void feature narrower than ``diameter`` pixels removed
    (a periodic opening of the solid, then of the void)."""
    fp = disk(diameter)
    return np.stack([~_open(~_open(m, fp), fp) for m in mask])


def min_feature_ok(mask: np.ndarray, diameter: float) -> np.ndarray:
    """``(S,)`` True where a disk of ``diameter`` pixels fits everywhere in both materials (both survive
    a periodic opening unchanged): the fabrication check on the binary cell."""
    fp = disk(diameter)
    return np.array([np.array_equal(_open(m, fp), m) and np.array_equal(_open(~m, fp), ~m) for m in mask])
