"""frustrated_magnets: sign structures of J1-J2 Heisenberg ground states (computed, no download).

Each config is one lattice, shape and J2. Up to 30 spins the ground state is found by exact
diagonalization (``keras_imnn.physics.magnet``, QuSpin: the ``magnet`` extra) over all
real-character symmetry sectors and expanded to the full Sz = 0 basis. Splits follow Westerhout et
al. (2020): ``train`` = a fraction epsilon of the basis drawn without replacement with probability
|psi|^2, ``test`` = states drawn uniformly from the rest, ``full`` = the whole basis.
``supervised_keys`` is ``("spins", "sign")``, the input and the label of the zoo's ``magnet_*`` models.

Past 30 spins (``square_6x6_j2_0.5``: C(36, 18) = 9.1e9 states) the basis cannot be listed: the
config's ``orbits`` is True and the ground state of the fully symmetric sector is held as one
amplitude per orbit of the lattice group (``representatives``; 1.6e7 orbits at 6x6). ``train`` is
then ``round(epsilon * n_orbits)`` distinct states drawn with probability |psi|^2 (``sampling.
sample_states``), because epsilon of the 9.1e9 states would be 9-45 million examples at the paper's
epsilon = 0.1-0.5 %; ``test`` is ``test_size`` uniform Sz = 0 states not in ``train``; there is no
``full`` split. The ground state is read from ``<manual_dir>/ground_state_<lattice>_<Lx>x<Ly>_j2_<J2>
.npz`` (J2 as ``%g``; written by ``benchmarks/magnet_36_spins.py``, resumably) or else computed
(~25 CPU minutes and ~10 GB at 6x6).

Other epsilon / test sizes / seeds: ``tfds.builder("frustrated_magnets",
config=make_config("square", (6, 4), 0.5, train_fraction=0.01))``; ``orbits=True`` forces the orbit
path on a small lattice. The config name records every non-default choice, so different splits never
share a cache directory.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import tensorflow_datasets as tfds

from keras_imnn.physics.magnet.sampling import MAX_EXPANDED_SITES, ORBIT_TRAIN_FRACTION, TRAIN_FRACTION

_DEFAULT_TEST_SIZE = 5000
_CHUNK = 1 << 16


def _j2_name(j2: float) -> str:
    return f"{j2:.1f}" if math.isclose(j2 * 10, round(j2 * 10), abs_tol=1e-9) else f"{j2:g}"


@dataclasses.dataclass(eq=False)
class FrustratedMagnetsConfig(tfds.core.BuilderConfig):
    """One ground state and its splits. ``shape`` is (Lx, Ly); ``seed`` seeds the splits; ``orbits``:
    the ground state is held as orbit representatives and sampled (``train_fraction`` of the orbits, no
    ``full`` split)."""

    lattice: str = "square"
    shape: tuple[int, int] = (4, 4)
    j2: float = 0.5
    j1: float = 1.0
    train_fraction: float = TRAIN_FRACTION
    test_size: int = _DEFAULT_TEST_SIZE
    seed: int = 0
    orbits: bool = False

    def split_names(self) -> tuple[str, ...]:
        """The splits a build writes (known before building, so a wrong name is refused first)."""
        return ("train", "test") if self.orbits else ("train", "test", "full")


def make_config(
    lattice: str,
    shape: tuple[int, int],
    j2: float,
    train_fraction: float | None = None,
    test_size: int = _DEFAULT_TEST_SIZE,
    seed: int = 0,
    orbits: bool | None = None,
) -> FrustratedMagnetsConfig:
    """Config named ``<lattice>_<Lx>x<Ly>_j2_<J2>`` plus ``_orbits`` / ``_expanded``, ``_eps_<f>``,
    ``_test_<n>``, ``_seed_<s>`` for each non-default choice.

    ``orbits`` defaults to more than 30 spins; ``train_fraction`` to 0.05 of the states, or with
    ``orbits`` to 0.001 of the orbits of the symmetric sector.
    """
    from keras_imnn.physics.magnet.lattices import make_lattice

    default_orbits = make_lattice(lattice, shape).n_sites > MAX_EXPANDED_SITES
    orbits = default_orbits if orbits is None else bool(orbits)
    default_fraction = ORBIT_TRAIN_FRACTION if orbits else TRAIN_FRACTION
    train_fraction = default_fraction if train_fraction is None else train_fraction
    name = f"{lattice}_{shape[0]}x{shape[1]}_j2_{_j2_name(j2)}"
    if orbits != default_orbits:
        name += "_orbits" if orbits else "_expanded"
    if train_fraction != default_fraction:
        name += f"_eps_{train_fraction:g}"
    if test_size != _DEFAULT_TEST_SIZE:
        name += f"_test_{test_size}"
    if seed:
        name += f"_seed_{seed}"
    train = (f"{train_fraction:g} x (orbits of the symmetric sector) distinct states drawn with |psi|^2, "
             f"test = {test_size} uniform Sz = 0 states not in train; no full split" if orbits else
             f"{train_fraction:g} of the basis drawn with |psi|^2, test = {test_size} uniform")
    description = (f"J1-J2 Heisenberg ground state, {lattice} {shape[0]}x{shape[1]} periodic, J2/J1 = {j2:g}; "
                   f"train = {train}.")
    return FrustratedMagnetsConfig(
        name=name, description=description, lattice=lattice, shape=tuple(shape), j2=float(j2),
        train_fraction=train_fraction, test_size=test_size, seed=seed, orbits=orbits,
    )


_CONFIGS = (
    [make_config("square", (4, 4), j2) for j2 in (0.0, 0.5)]
    + [make_config("square", (6, 4), round(0.1 * k, 1)) for k in range(11)]
    + [make_config("square", (6, 4), 0.5, train_fraction=eps) for eps in (0.01, 0.02, 0.1, 0.2)]
    + [make_config("triangular", (4, 4), 1.3), make_config("triangular", (6, 4), 1.3)]
    + [make_config("square", (6, 6), 0.5, train_fraction=eps) for eps in (0.001, 0.005)]
    # 18 sites, (2, 3, 3) spins; at J2 = 0 the ground state has momentum pi along a1 (a translation flips its sign)
    + [make_config("kagome", (2, 3), j2) for j2 in (0.0, 0.5)]
    # No 3x3 (27 sites, Sz = +1/2) config: at J2 = 0 its ground state lies in a two-dimensional representation of
    # C6v at zero momentum (docs/lattices.md), which the real-character ED does not reach and whose sign structure
    # is not unique.
    # 12 sites (924 states), built in seconds: the kagome data the tests train on from the command line
    + [make_config("kagome", (2, 2), 0.0, test_size=500)]
)


class FrustratedMagnets(tfds.core.GeneratorBasedBuilder):
    """Sign of the ground-state amplitude psi(s) for every Sz = 0 spin configuration s."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release: square and anisotropic triangular J1-J2, QuSpin ED."}
    BUILDER_CONFIGS = _CONFIGS
    MANUAL_DOWNLOAD_INSTRUCTIONS = """
    Only the configs past 30 spins (square_6x6_*) read the manual dir, and only if it holds their
    ground state: ground_state_<lattice>_<Lx>x<Ly>_j2_<J2>.npz (J2 as %g, e.g.
    ground_state_square_6x6_j2_0.5.npz), written (resumably) by
    `python benchmarks/magnet_36_spins.py --out DIR --j2 0.5`. Without it the ground state is computed
    while building (~25 CPU minutes and ~10 GB of memory at 6x6).
    """

    def _info(self) -> tfds.core.DatasetInfo:
        from keras_imnn.physics.magnet.lattices import make_lattice

        shape = make_lattice(self.builder_config.lattice, self.builder_config.shape).feature_shape  # (L1, L2, k)
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "spins": tfds.features.Tensor(shape=shape, dtype=np.uint8,
                                              doc="1 = spin up at site s of cell (x, y)"),
                "sign": tfds.features.ClassLabel(names=["positive", "negative"], doc="sign of psi(s)"),
                "amplitude": tfds.features.Scalar(dtype=np.float32, doc="psi(s), normalized over the full basis"),
                "weight": tfds.features.Scalar(dtype=np.float32, doc="|psi(s)|^2"),
                "state": tfds.features.Scalar(dtype=np.int64, doc="bit (x*Ly+y)*k+s set = spin up at site s of (x, y)"),
            }),
            supervised_keys=("spins", "sign"),
            homepage="https://arxiv.org/abs/2406.08318",
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        from keras_imnn.physics.magnet.ed import sector_label
        from keras_imnn.physics.magnet.signs import marshall_violation

        cfg = self.builder_config
        if cfg.orbits:
            from keras_imnn.physics.magnet.representatives import find_or_solve
            from keras_imnn.physics.magnet.sampling import orbit_splits

            gs = find_or_solve(cfg.lattice, cfg.shape, cfg.j2, cfg.j1, _manual_dir(dl_manager), "the manual dir")
            # amplitudes_of (not the sample's own labels) gives both splits their amplitude the same way.
            splits = {name: (states, gs.amplitudes_of(states))
                      for name, states in orbit_splits(gs, cfg.train_fraction, cfg.test_size, cfg.seed).items()}
            # A state held in one sector has that sector's characters.
            characters, extra = dict(gs.sector), {
                "n_orbits": gs.sector_dim, "residual": gs.residual, "train_fraction_of": "orbits",
                "splits": "train, test; no full split (the Sz = 0 basis is not listed)"}
        else:
            from keras_imnn.physics.magnet.ed import ground_state
            from keras_imnn.physics.magnet.sampling import split_indices
            from keras_imnn.physics.magnet.signs import sign_characters

            gs = ground_state(cfg.lattice, cfg.shape, cfg.j2, j1=cfg.j1)
            index = split_indices(gs.weights, cfg.train_fraction, cfg.test_size, cfg.seed)
            splits = {name: (gs.states[i], gs.amplitudes[i]) for name, i in index.items()}
            characters, extra = sign_characters(gs), {
                "gap": gs.gap, "n_states": int(len(gs.states)), "train_fraction_of": "states"}
        self.info.metadata.update({
            "lattice": cfg.lattice, "shape": list(cfg.shape), "j1": cfg.j1, "j2": cfg.j2,
            "energy": gs.energy, "energy_per_site": gs.energy / gs.lattice.n_sites,
            "energy_convention": "S = sigma/2",
            "sector": sector_label(gs.sector), "sector_dim": gs.sector_dim,
            "sign_characters": {k: v for k, v in characters.items()},
            # The group an invariant model may use: sign psi(g s) = sign psi(s) for these g.
            "sign_invariant_under": [k for k, v in characters.items() if v == 1],
            "marshall_violation": marshall_violation(gs),
            "train_fraction": cfg.train_fraction, "test_size": cfg.test_size, "seed": cfg.seed, **extra,
        })
        return {name: self._generate_examples(states, amplitudes) for name, (states, amplitudes) in splits.items()}

    def _generate_examples(self, states: np.ndarray, amplitudes: np.ndarray):
        from keras_imnn.physics.magnet.ed import states_to_spins
        from keras_imnn.physics.magnet.lattices import make_lattice

        shape = make_lattice(self.builder_config.lattice, self.builder_config.shape).feature_shape
        for start in range(0, len(states), _CHUNK):
            chunk_states, chunk_amplitudes = states[start:start + _CHUNK], amplitudes[start:start + _CHUNK]
            spins = states_to_spins(chunk_states, shape)
            for state, spin, amplitude in zip(chunk_states.tolist(), spins, chunk_amplitudes.tolist()):
                yield state, {
                    "spins": spin, "sign": int(amplitude < 0), "amplitude": amplitude,
                    "weight": amplitude * amplitude, "state": state,
                }


def _manual_dir(dl_manager: tfds.download.DownloadManager) -> Path | None:
    """The manual dir, or None when it is missing or empty (TFDS raises AssertionError then)."""
    try:
        return Path(dl_manager.manual_dir)
    except AssertionError:
        return None
