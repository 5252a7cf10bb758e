"""TM bands of one pixel cell with their derivatives with respect to every pixel's ε (plane-wave expansion).

The TM operator of :mod:`keras_imnn.physics.photonic.solver` is A = |q| T⁻¹ |q|, T the Toeplitz matrix of
the pixels' exact Fourier coefficients. For a non-degenerate eigenpair A v = λ v (λ = ω², ‖v‖ = 1)
Hellmann–Feynman gives dλ/dε_p = v† (dA/dε_p) v = −w† (dT/dε_p) w with w = T⁻¹ |q| v, and
T_{mm'} = Σ_p ε_p φ_p(m − m'), so dλ/dε_p = −Σ_d φ_p(d) C(d) with C the autocorrelation of w on the
plane-wave window: one FFT correlation and two small DFTs per band and k-point, for all pixels at once.
The bands are the solver's (same window, same Fourier coefficients), so values match it to round-off.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import eigh

from keras_imnn.physics.photonic.solver import _eta_tm, _plane_waves, _windows


def _pixel_phases(d: np.ndarray, n: int) -> np.ndarray:
    """(len(d), n): the 1D factor of φ_p(d) = sinc(d/n)/n · e^{−2πi d (i+½)/n} for pixel index i."""
    centers = (np.arange(n) + 0.5) / n
    return np.exp(-2j * np.pi * d[:, None] * centers[None, :]) * (np.sinc(d / n) / n)[:, None]


def tm_bands_with_gradient(eps: np.ndarray, k_points: np.ndarray, n_bands: int = 2,
                           n_max: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """TM frequencies of one cell and their derivatives with respect to each pixel's ε.

    Args:
        eps: (n, n) permittivity ≥ 1, the solver's pixel convention.
        k_points: (n_k, 2) reciprocal-lattice units.
        n_bands: lowest bands returned.
        n_max: plane-wave cutoff, as the solver's.

    Returns:
        ``(omega, d_omega)``: ωa/2πc ``(n_k, n_bands)`` and dω/dε ``(n_k, n_bands, n, n)``. At a degenerate
        eigenvalue the derivative is that of one eigenvector of the degenerate space (a one-sided slope).
    """
    eps = np.asarray(eps, np.float64)
    n = eps.shape[-1]
    k_red, edge_x, edge_y = _windows(np.asarray(k_points, np.float64), n_max)
    omega = np.empty((len(k_red), n_bands))
    grad = np.empty((len(k_red), n_bands, n, n))
    for ex in (False, True):
        for ey in (False, True):
            sel = np.flatnonzero((edge_x == ex) & (edge_y == ey))
            if not len(sel):
                continue
            xr, yr = np.arange(-n_max, n_max + 1 + ex), np.arange(-n_max, n_max + 1 + ey)
            eta = _eta_tm(eps[None], xr, yr)[0]                                   # (P, P)
            m = _plane_waves(xr, yr)
            # The autocorrelation of a (nx, ny) window spans 2nx − 1 differences: pad the FFT to that.
            shape = (2 * len(xr) - 1, 2 * len(yr) - 1)
            corr_size = shape[0] * shape[1]
            dx, dy = np.arange(-(len(xr) - 1), len(xr)), np.arange(-(len(yr) - 1), len(yr))
            fx, fy = _pixel_phases(dx, n), _pixel_phases(dy, n)
            for i in sel:
                q = np.linalg.norm(k_red[i] + m, axis=-1)
                lam, v = eigh(q[:, None] * eta * q[None, :], subset_by_index=(0, n_bands - 1))
                lam = np.clip(lam, 1e-30, None)
                w = (eta @ (q[:, None] * v)).T.reshape(n_bands, len(xr), len(yr))   # (b, nx, ny)
                spec = np.fft.fft2(w, shape)
                corr = np.fft.fft2(np.abs(spec) ** 2) / corr_size                 # C(d) at d mod shape
                corr = np.fft.fftshift(corr, axes=(-2, -1))                      # d from −(len − 1)
                dlam = -np.real(fx.T @ corr @ fy)                                   # (b, n, n)
                omega[i] = np.sqrt(lam)
                grad[i] = dlam / (2.0 * np.sqrt(lam))[:, None, None]
    return omega, grad
