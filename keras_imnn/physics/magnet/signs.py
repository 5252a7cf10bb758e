"""Symmetries of a ground state's sign structure and the Marshall sign rule.

An invariant model f(g s) = f(s) can only learn sign(psi) if sign psi(g s) = sign psi(s) for
every symmetry g it is given; a ground state in a sector with character chi(g) = -1 flips its
sign under g instead. ``sign_characters`` measures chi(g) on the expanded amplitudes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from keras_imnn.physics.magnet.ed import GroundState, permute_states

if TYPE_CHECKING:
    from keras_imnn.physics.magnet.representatives import SymmetricGroundState


def _flip_all(states: np.ndarray, n_sites: int) -> np.ndarray:
    return states ^ np.uint64((1 << n_sites) - 1)


def sign_characters(gs: GroundState, atol: float = 1e-9) -> dict[str, int | None]:
    """Character of every lattice generator and of the spin flip ``Z`` (at Sz = 0: even N) on the sign structure.

    Returns ``{name: +1 | -1 | None}``: +1 if psi(g s) = psi(s) for all states s, -1 if
    psi(g s) = -psi(s), None if neither (a degenerate or symmetry-broken state). Amplitudes
    below ``atol`` are ignored (their sign is noise).
    """
    states, amplitudes = gs.states, gs.amplitudes
    if states is None:
        raise ValueError("sign_characters needs the expanded ground state (expand=True)")
    n = gs.lattice.n_sites
    images = {name: permute_states(states, perm) for name, perm in gs.lattice.generators.items()}
    if n % 2 == 0:  # the flip maps Sz = +1/2 onto -1/2, outside the basis
        images["Z"] = _flip_all(states, n)
    keep = np.abs(amplitudes) > atol
    characters = {}
    for name, image in images.items():
        moved = amplitudes[np.searchsorted(states, image)]
        ratio = moved[keep] / amplitudes[keep]
        characters[name] = next((c for c in (1, -1) if np.allclose(ratio, c, atol=1e-6)), None)
    return characters


def marshall_signs(states: np.ndarray, lattice) -> np.ndarray:
    """``(n,)`` uint8, 1 where the Marshall sign (-1)^(up spins on Marshall's A, ``lattice.sublattice == 0``) is -1."""
    states = np.asarray(states, dtype=np.uint64)
    parity = np.zeros(states.shape, dtype=np.uint64)
    for i in np.flatnonzero(lattice.sublattice == 0):
        parity ^= (states >> np.uint64(i)) & np.uint64(1)
    return parity.astype(np.uint8)


def marshall_violation(gs: GroundState | SymmetricGroundState) -> float | None:
    """Weight sum |psi|^2 over states whose sign disagrees with the Marshall rule, for the better
    of the two global signs; 0 when the rule holds exactly, 0.5 for no correlation.

    A ground state held as orbits (``representatives.SymmetricGroundState``) is judged on its
    representatives, which needs the rule's sign to be the same on each orbit: Lx, Ly even (translations
    map the sublattices onto each other) and N/2 even (an odd translation or the flip changes the up
    spins on sublattice A by N/2 - 2 n_A); None otherwise, and None on a lattice with no Marshall sublattice
    (kagome).
    """
    if gs.lattice.lattice.marshall is None:
        return None
    if isinstance(gs, GroundState):
        disagree, weights = gs.signs != marshall_signs(gs.states, gs.lattice), gs.weights
    else:
        (lx, ly), n = gs.lattice.shape, gs.lattice.n_sites
        if lx % 2 or ly % 2 or (n // 2) % 2:
            return None
        disagree = (gs.amplitudes < 0) != marshall_signs(gs.representatives, gs.lattice).astype(bool)
        weights = gs.orbit_probabilities
    wrong = float(weights[disagree].sum() / weights.sum())
    return min(wrong, 1.0 - wrong)
