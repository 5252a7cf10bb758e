"""Train / test splits of a ground state's basis (the protocol of Westerhout et al. 2020).

- ``train``: a fraction epsilon of all basis states, drawn without replacement with probability
  proportional to |psi|^2 (successive draws, renormalized after each; numpy's
  ``Generator.choice(replace=False, p=...)``).
- ``test``: ``test_size`` states drawn uniformly without replacement from the states not in
  ``train``.
- ``full``: every state.

Past ~30 spins the basis cannot be listed; a ``representatives.SymmetricGroundState`` (one amplitude per
orbit of the lattice group) is sampled instead, by ``sample_states`` (|psi|^2, with or without
replacement) and ``uniform_sz0_states`` (uniform test states), both without the expansion.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from keras_imnn.physics.magnet.representatives import SymmetricGroundState


def split_indices(
    weights: np.ndarray, train_fraction: float = 0.05, test_size: int = 5000, seed: int = 0
) -> dict[str, np.ndarray]:
    """Indices into the basis for each split.

    Args:
        weights: ``(D,)`` |psi|^2 (any positive scale), finite and >= 0.
        train_fraction: epsilon in (0, 1); the train split has ``round(epsilon * D)`` states.
        test_size: number of test states, at most the number left after ``train``.
        seed: seed of ``numpy.random.default_rng``; the same seed gives the same splits.

    Returns:
        ``{"train": (n_train,), "test": (test_size,), "full": (D,)}`` int64 index arrays,
        ``train`` and ``test`` sorted and disjoint.
    """
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 1 or not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("weights must be a 1-D array of finite, non-negative |psi|^2 values")
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction}")
    n_states = len(weights)
    n_train = int(round(train_fraction * n_states))
    if not 0 < n_train <= np.count_nonzero(weights):
        raise ValueError(
            f"train_fraction {train_fraction} gives {n_train} train states, but there are "
            f"{np.count_nonzero(weights)} states with non-zero weight out of {n_states}"
        )
    if not 0 <= test_size <= n_states - n_train:
        raise ValueError(f"test_size must be in [0, {n_states - n_train}] (states left after train), got {test_size}")
    rng = np.random.default_rng(seed)
    train = rng.choice(n_states, size=n_train, replace=False, p=weights / weights.sum())
    rest = np.setdiff1d(np.arange(n_states), train, assume_unique=True)
    test = rng.choice(rest, size=test_size, replace=False)
    return {"train": np.sort(train), "test": np.sort(test), "full": np.arange(n_states)}


class StateSample(NamedTuple):
    """States drawn from a ground state, with their labels.

    Attributes:
        states: ``(n,)`` uint64 (bit i = spin up at site i), in the order drawn.
        signs: ``(n,)`` uint8, 1 = negative amplitude (as ``ed.GroundState.signs``).
        probabilities: ``(n,)`` float64, |psi(s)|^2 in the full Sz = 0 basis.
    """

    states: np.ndarray
    signs: np.ndarray
    probabilities: np.ndarray


def sample_states(gs: SymmetricGroundState, size: int, seed: int = 0, replace: bool = True,
                  batch: int = 1 << 20) -> StateSample:
    """``size`` states drawn with probability |psi(s)|^2 from a ground state held as orbits.

    An orbit O is drawn with probability c_O^2 (= |O| |psi(member)|^2), then a uniformly random element g
    of the group (translations x point group x spin flip) is applied to its representative: g r_O is
    uniform over O, as each member is reached by |G| / |O| elements. Its sign is sign(c_O) chi(g)
    (``gs.characters``: -1 only for the flip in a sector whose flip character is -1).

    Args:
        gs: a ``representatives.SymmetricGroundState``.
        size: number of states.
        seed: seed of ``numpy.random.default_rng``; the same seed gives the same sample.
        replace: False draws distinct states, as ``split_indices`` draws its train split (successive
            draws renormalized after each = independent draws with repeats skipped, kept in order).
        batch: states drawn per round when ``replace`` is False.
    """
    probabilities = np.asarray(gs.orbit_probabilities, dtype=np.float64)
    positive = probabilities > 0
    if not replace and size > int(gs.orbit_sizes[positive].sum()):
        raise ValueError(f"cannot draw {size} distinct states: {int(gs.orbit_sizes[positive].sum())} have "
                         f"non-zero weight")
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    rng = np.random.default_rng(seed)
    cdf = np.cumsum(probabilities)
    cdf /= cdf[-1]

    def draw(m: int) -> tuple[np.ndarray, np.ndarray]:
        orbits = np.minimum(np.searchsorted(cdf, rng.random(m), side="right"), len(cdf) - 1)
        return orbits, rng.integers(gs.n_elements, size=m)

    if replace:
        orbits, elements = draw(size)
        states = gs.group_images(orbits, elements)
    else:
        orbits, elements, states = (np.empty(0, np.int64),) * 2 + (np.empty(0, np.uint64),)
        while len(states) < size:
            more = draw(max(batch, 2 * (size - len(states))))
            orbits, elements = np.concatenate([orbits, more[0]]), np.concatenate([elements, more[1]])
            states = np.concatenate([states, gs.group_images(*more)])
            first = np.sort(np.unique(states, return_index=True)[1])[:size]
            orbits, elements, states = orbits[first], elements[first], states[first]
    signs = (np.sign(gs.amplitudes[orbits]) * gs.characters(elements) < 0).astype(np.uint8)
    return StateSample(states, signs, probabilities[orbits] / gs.orbit_sizes[orbits])


def uniform_sz0_states(n_sites: int, size: int, seed: int = 0, exclude: np.ndarray | None = None,
                       batch: int = 1 << 18) -> np.ndarray:
    """``(size,)`` uint64 distinct Sz = 0 states drawn uniformly (without replacement), none in ``exclude``.

    Each draw puts the N/2 up spins on a uniformly random subset of the sites (the first N/2 of a random
    permutation), so no list of the C(N, N/2) states is made; repeats and excluded states are drawn again.
    The states come in the order drawn. Test sets of large lattices: ``gs.signs_of(states)`` labels them.
    """
    if n_sites % 2 or not 0 < n_sites <= 64:
        raise ValueError(f"n_sites must be even and in (0, 64], got {n_sites}")
    exclude = np.unique(np.asarray([] if exclude is None else exclude, dtype=np.uint64))
    available = math.comb(n_sites, n_sites // 2) - int(np.count_nonzero(
        np.bitwise_count(exclude) == n_sites // 2)) if exclude.size else math.comb(n_sites, n_sites // 2)
    if not 0 <= size <= available:
        raise ValueError(f"size must be in [0, {available}] (Sz = 0 states not excluded), got {size}")
    rng = np.random.default_rng(seed)
    powers = np.uint64(1) << np.arange(n_sites, dtype=np.uint64)
    states = np.empty(0, np.uint64)
    while len(states) < size:  # one round when repeats are rare (large N), a few more otherwise
        missing = size - len(states)
        drawn = []
        for start in range(0, missing + missing // 16 + 64, batch):
            m = min(batch, missing + missing // 16 + 64 - start)
            up = np.argpartition(rng.random((m, n_sites)), n_sites // 2 - 1, axis=1)[:, : n_sites // 2]
            drawn.append(np.bitwise_or.reduce(powers[up], axis=1))
        drawn = np.concatenate(drawn)
        drawn = drawn[~np.isin(drawn, exclude)] if exclude.size else drawn
        states = np.concatenate([states, drawn])
        states = states[np.sort(np.unique(states, return_index=True)[1])][:size]
    return states


#: Default training fractions (Westerhout's epsilon): of the Sz = 0 states, and of the orbits of the symmetric
#: sector when the ground state is held as orbits (the paper's smallest epsilon at 36 spins).
TRAIN_FRACTION, ORBIT_TRAIN_FRACTION = 0.05, 0.001
#: The one rule for the orbit path: expanding needs ~40 bytes a state (6 GB at 30 spins, 360 GB at 36).
MAX_EXPANDED_SITES = 30


def orbit_splits(gs: SymmetricGroundState, train_fraction: float, test_size: int, seed: int = 0
                 ) -> dict[str, np.ndarray]:
    """``{"train", "test"}`` uint64 states of a ground state held as orbits: ``round(train_fraction * R)``
    distinct states drawn with |psi|^2 (R orbits in the sector; epsilon of the whole basis would be 9-45
    million states at 6x6), and ``test_size`` uniform Sz = 0 states not in train. Label them with
    ``gs.amplitudes_of``."""
    n_train = round(train_fraction * gs.sector_dim)
    if not 0 < train_fraction < 1 or n_train == 0:
        raise ValueError(f"train_fraction must be in (0, 1) and give >= 1 of the {gs.sector_dim} orbits, "
                         f"got {train_fraction}")
    train_seed, test_seed = np.random.SeedSequence(seed).generate_state(2)  # independent streams
    train = sample_states(gs, n_train, seed=int(train_seed), replace=False).states
    test = uniform_sz0_states(gs.lattice.n_sites, test_size, seed=int(test_seed), exclude=train)
    return {"train": train, "test": test}

