"""frustrated_magnets: sign structures of J1-J2 Heisenberg ground states (computed, no download).

Each config is one lattice, shape and J2; the ground state is found by exact diagonalization
(``keras_imnn.physics.magnet``, QuSpin: the ``magnet`` extra) over all real-character symmetry
sectors and expanded to the full Sz = 0 basis. Splits follow Westerhout et al. (2020): ``train``
= a fraction epsilon of the basis drawn without replacement with probability |psi|^2, ``test`` =
states drawn uniformly from the rest, ``full`` = the whole basis. ``supervised_keys`` is
``("spins", "sign")``, the input and the label of the zoo's ``magnet_*`` models.

Other epsilon / test sizes / seeds: ``tfds.builder("frustrated_magnets",
config=make_config("square", (6, 4), 0.5, train_fraction=0.01))``; the config name records
every non-default choice, so different splits never share a cache directory.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import tensorflow_datasets as tfds

_DEFAULT_FRACTION = 0.05
_DEFAULT_TEST_SIZE = 5000
_CHUNK = 1 << 16


def _j2_name(j2: float) -> str:
    return f"{j2:.1f}" if math.isclose(j2 * 10, round(j2 * 10), abs_tol=1e-9) else f"{j2:g}"


@dataclasses.dataclass(eq=False)
class FrustratedMagnetsConfig(tfds.core.BuilderConfig):
    """One ground state and its splits. ``shape`` is (Lx, Ly); ``seed`` seeds the splits."""

    lattice: str = "square"
    shape: tuple[int, int] = (4, 4)
    j2: float = 0.5
    j1: float = 1.0
    train_fraction: float = _DEFAULT_FRACTION
    test_size: int = _DEFAULT_TEST_SIZE
    seed: int = 0


def make_config(
    lattice: str,
    shape: tuple[int, int],
    j2: float,
    train_fraction: float = _DEFAULT_FRACTION,
    test_size: int = _DEFAULT_TEST_SIZE,
    seed: int = 0,
) -> FrustratedMagnetsConfig:
    """Config named ``<lattice>_<Lx>x<Ly>_j2_<J2>`` plus ``_eps_<f>``, ``_test_<n>``,
    ``_seed_<s>`` for each non-default choice."""
    name = f"{lattice}_{shape[0]}x{shape[1]}_j2_{_j2_name(j2)}"
    if train_fraction != _DEFAULT_FRACTION:
        name += f"_eps_{train_fraction:g}"
    if test_size != _DEFAULT_TEST_SIZE:
        name += f"_test_{test_size}"
    if seed:
        name += f"_seed_{seed}"
    description = (
        f"J1-J2 Heisenberg ground state, {lattice} {shape[0]}x{shape[1]} periodic, J2/J1 = {j2:g}; "
        f"train = {train_fraction:g} of the basis drawn with |psi|^2, test = {test_size} uniform."
    )
    return FrustratedMagnetsConfig(
        name=name, description=description, lattice=lattice, shape=tuple(shape), j2=float(j2),
        train_fraction=train_fraction, test_size=test_size, seed=seed,
    )


_CONFIGS = (
    [make_config("square", (4, 4), j2) for j2 in (0.0, 0.5)]
    + [make_config("square", (6, 4), round(0.1 * k, 1)) for k in range(11)]
    + [make_config("square", (6, 4), 0.5, train_fraction=eps) for eps in (0.01, 0.02, 0.1, 0.2)]
    + [make_config("triangular", (4, 4), 1.3), make_config("triangular", (6, 4), 1.3)]
)


class FrustratedMagnets(tfds.core.GeneratorBasedBuilder):
    """Sign of the ground-state amplitude psi(s) for every Sz = 0 spin configuration s."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release: square and anisotropic triangular J1-J2, QuSpin ED."}
    BUILDER_CONFIGS = _CONFIGS

    def _info(self) -> tfds.core.DatasetInfo:
        lx, ly = self.builder_config.shape
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "spins": tfds.features.Tensor(shape=(lx, ly, 1), dtype=np.uint8, doc="1 = spin up at site (x, y)"),
                "sign": tfds.features.ClassLabel(names=["positive", "negative"], doc="sign of psi(s)"),
                "amplitude": tfds.features.Scalar(dtype=np.float32, doc="psi(s), normalized over the full basis"),
                "weight": tfds.features.Scalar(dtype=np.float32, doc="|psi(s)|^2"),
                "state": tfds.features.Scalar(dtype=np.int64, doc="bit x*Ly+y set = spin up at (x, y)"),
            }),
            supervised_keys=("spins", "sign"),
            homepage="https://arxiv.org/abs/2406.08318",
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        del dl_manager  # computed, nothing to download
        from keras_imnn.physics.magnet.ed import ground_state, sector_label
        from keras_imnn.physics.magnet.sampling import split_indices
        from keras_imnn.physics.magnet.signs import marshall_violation, sign_characters

        cfg = self.builder_config
        gs = ground_state(cfg.lattice, cfg.shape, cfg.j2, j1=cfg.j1)
        splits = split_indices(gs.weights, cfg.train_fraction, cfg.test_size, cfg.seed)
        characters = sign_characters(gs)
        self.info.metadata.update({
            "lattice": cfg.lattice, "shape": list(cfg.shape), "j1": cfg.j1, "j2": cfg.j2,
            "energy": gs.energy, "energy_per_site": gs.energy / gs.lattice.n_sites,
            "energy_convention": "S = sigma/2", "gap": gs.gap,
            "sector": sector_label(gs.sector), "sector_dim": gs.sector_dim,
            "sign_characters": {k: v for k, v in characters.items()},
            # The group an invariant model may use: sign psi(g s) = sign psi(s) for these g.
            "sign_invariant_under": [k for k, v in characters.items() if v == 1],
            "marshall_violation": marshall_violation(gs),
            "n_states": int(len(gs.states)),
            "train_fraction": cfg.train_fraction, "test_size": cfg.test_size, "seed": cfg.seed,
        })
        return {name: self._generate_examples(gs, index) for name, index in splits.items()}

    def _generate_examples(self, gs, index: np.ndarray):
        from keras_imnn.physics.magnet.ed import states_to_spins

        for start in range(0, len(index), _CHUNK):
            chunk = index[start:start + _CHUNK]
            states, amplitudes = gs.states[chunk], gs.amplitudes[chunk]
            spins = states_to_spins(states, gs.lattice.shape)
            for state, spin, amplitude in zip(states.tolist(), spins, amplitudes.tolist()):
                yield state, {
                    "spins": spin, "sign": int(amplitude < 0), "amplitude": amplitude,
                    "weight": amplitude * amplitude, "state": state,
                }
