"""Zero-shot sign scores of a magnet model on a lattice size it was not trained on.

Two numbers per size, the project's sign metrics:

- the sign overlap Σ sgn·sgn_pred·|ψ|² / Σ|ψ|²: exact over the whole Sz = 0 basis up to
  ``sampling.MAX_EXPANDED_SITES`` spins, else estimated on states drawn ∝ |ψ|² from the ground state held as orbits
  (the mean of sgn·sgn_pred, standard error sqrt((1 − o²)/n));
- the accuracy on uniform Sz = 0 states (each state counted once, as the datasets' test splits): exact over the
  basis, else on uniformly drawn states.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np

from keras_imnn.physics.magnet.metrics import sign_accuracy, sign_overlap


class SignTestSet(NamedTuple):
    """The states of one lattice size a model is scored on.

    Attributes:
        x: ``(n, Lx, Ly, 1)`` float32 spins of the overlap's states; ``signs``: ``(n,)`` 0/1 labels (1 = negative);
            ``weights``: ``(n,)`` |ψ|² when ``x`` is the whole basis, None when drawn ∝ |ψ|².
        x_uniform, signs_uniform: the accuracy's states (None: the overlap's states, which are then the whole basis).
        description: how the states were chosen, for tables.
    """

    x: np.ndarray
    signs: np.ndarray
    weights: np.ndarray | None
    x_uniform: np.ndarray | None
    signs_uniform: np.ndarray | None
    description: str


def size_test_set(lattice: str, shape: tuple[int, int], j2: float, *, n_drawn: int = 20_000, n_uniform: int = 5000,
                  seed: int = 0, ground_state_dir: str | Path | None = None) -> SignTestSet:
    """The test states of ``lattice`` ``shape`` at ``j2``: the whole basis (exact ground state) up to
    ``MAX_EXPANDED_SITES`` spins; above, ``n_drawn`` states drawn ∝ |ψ|² and ``n_uniform`` uniform Sz = 0 states of
    the symmetric-sector ground state in ``ground_state_dir`` (``benchmarks/magnet_36_spins.py --shape LX LY``
    writes it; ValueError naming that command when it is missing)."""
    from keras_imnn.physics.magnet.ed import ground_state
    from keras_imnn.physics.magnet.lattices import make_lattice
    from keras_imnn.physics.magnet.representatives import find_ground_state, ground_state_filename
    from keras_imnn.physics.magnet.sampling import MAX_EXPANDED_SITES, sample_states, uniform_sz0_states

    n_sites = make_lattice(lattice, shape).n_sites
    if n_sites <= MAX_EXPANDED_SITES:
        gs = ground_state(lattice, shape, j2, progress=False)
        return SignTestSet(gs.spins().astype("float32"), gs.signs, gs.weights, None, None,
                           f"all {len(gs.states)} states (exact)")
    gs = find_ground_state(lattice, shape, j2, folder=ground_state_dir)
    if gs is None:
        raise ValueError(f"no ground state of {lattice} {shape[0]}x{shape[1]} J2={j2:g} in {ground_state_dir} "
                         f"({ground_state_filename(lattice, shape, j2)}): make it with benchmarks/magnet_36_spins.py "
                         f"--shape {shape[0]} {shape[1]} --j2 {j2:g} --out {ground_state_dir}")
    drawn_seed, uniform_seed = np.random.SeedSequence(seed).generate_state(2)
    drawn = sample_states(gs, n_drawn, seed=int(drawn_seed))
    uniform = uniform_sz0_states(n_sites, n_uniform, seed=int(uniform_seed))
    return SignTestSet(gs.spins(drawn.states).astype("float32"), drawn.signs, None,
                       gs.spins(uniform.astype(np.uint64)).astype("float32"), gs.signs_of(uniform),
                       f"{n_drawn} states drawn ∝ ψ², {n_uniform} uniform (symmetric sector)")


def predict_signs(model: keras.Model | Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                  batch_size: int = 1024) -> np.ndarray:
    """``(n,)`` int64 0/1 sign labels of spins ``x`` ``(n, Lx, Ly, 1)``: a Keras model's sign logit > 0, or a rule's
    labels (e.g. the Marshall rule, for reference)."""
    if not isinstance(model, keras.Model):
        return np.asarray(model(x), dtype=np.int64)
    return (np.ravel(model.predict(x, batch_size=batch_size, verbose=0)) > 0).astype(np.int64)


def overlap_standard_error(overlap: float, n: int) -> float:
    """Standard error sqrt((1 − o²)/n) of a sign overlap estimated as the mean of sgn·sgn_pred over ``n`` states
    drawn ∝ |ψ|²."""
    return float(np.sqrt(max(0.0, 1 - overlap**2) / n))


def score_signs(model: keras.Model | Callable[[np.ndarray], np.ndarray], test: SignTestSet,
                batch_size: int = 1024) -> dict[str, float]:
    """``{"sign_overlap", "accuracy"}`` of ``model`` on ``test``, with ``"sign_overlap_se"`` where the overlap is
    estimated from drawn states. ``model``: a Keras model (a sign logit) or a rule, spins ``(n, Lx, Ly, 1)`` → ``(n,)``
    0/1 labels (``predict_signs``)."""
    pred = predict_signs(model, test.x, batch_size)
    overlap = sign_overlap(test.signs, pred, test.weights)
    out = {"sign_overlap": overlap}
    if test.weights is None:
        out["sign_overlap_se"] = overlap_standard_error(overlap, len(pred))
    if test.x_uniform is None:
        out["accuracy"] = sign_accuracy(test.signs, pred)
    else:
        out["accuracy"] = sign_accuracy(test.signs_uniform, predict_signs(model, test.x_uniform, batch_size))
    return out
