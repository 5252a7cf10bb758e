"""LatticeAverage and RandomLatticePermutation: the symmetries of a lattice whose point group permutes sublattices."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from keras_imnn.lattices import get_lattice
from keras_imnn.layers import InvariantPooling2D, PeriodicConv2D
from keras_imnn.layers.lattice_symmetry import LatticeAverage, RandomLatticePermutation


def _image(x: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """The configuration ``x`` (batch, L1, L2, k) with the value at site i moved to site ``perm[i]``."""
    flat = x.reshape(len(x), -1)
    out = np.empty_like(flat)
    out[:, perm] = flat
    return out.reshape(x.shape)


def _trunk(seed: int) -> keras.Sequential:
    keras.utils.set_random_seed(seed)
    return keras.Sequential([PeriodicConv2D(8, 3, activation="tanh"), PeriodicConv2D(8, 3, dilation_rate=2,
                                                                                     activation="tanh"),
                             InvariantPooling2D(), keras.layers.Dense(1)])


@pytest.mark.parametrize("shape", [(2, 2), (2, 3), (3, 3)])
def test_lattice_average_is_invariant_under_every_symmetry(rng, shape):
    """Every point element x every shift of the kagome torus leaves the output unchanged; the trunk alone is
    shift invariant but not point-group invariant (so the test can fail)."""
    torus = get_lattice("kagome").torus(shape)
    x = rng.choice([-1.0, 1.0], size=(4, *torus.feature_shape)).astype("float32")
    trunk = _trunk(0)
    model = LatticeAverage(trunk, "kagome")
    y = keras.ops.convert_to_numpy(model(x))
    assert y.shape == (4, 1)
    worst_trunk = 0.0
    for perm in torus.symmetries:
        moved = _image(x, perm)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(model(moved)), y, atol=2e-6)
        worst_trunk = max(worst_trunk, float(np.abs(keras.ops.convert_to_numpy(trunk(moved) - trunk(x))).max()))
    assert worst_trunk > 1e-3


def test_lattice_average_round_trips_through_a_saved_model(tmp_path, rng):
    inputs = keras.Input((2, 2, 3))
    model = keras.Model(inputs, LatticeAverage(_trunk(1), "kagome")(inputs))
    x = rng.choice([0.0, 1.0], size=(3, 2, 2, 3)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-6)


def test_random_permutation_maps_each_sample_by_a_symmetry(rng):
    torus = get_lattice("kagome").torus((2, 3))
    x = rng.normal(size=(16, 2, 3, 3)).astype("float32")
    layer = RandomLatticePermutation("kagome", seed=3)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x)), x)  # identity at inference
    moved = keras.ops.convert_to_numpy(layer(x, training=True))
    images = {n: {_image(x[n:n + 1], p).tobytes() for p in torus.symmetries} for n in range(len(x))}
    assert all(moved[n:n + 1].tobytes() in images[n] for n in range(len(x)))
    assert not np.array_equal(moved, x)


def test_inputs_that_are_not_the_lattice_are_refused():
    with pytest.raises(ValueError, match="expects 3 input channel"):
        LatticeAverage(_trunk(0), "kagome")(np.zeros((1, 2, 2, 1), "float32"))
    with pytest.raises(ValueError, match="unknown lattice 'hexagonal'"):
        RandomLatticePermutation("hexagonal")
    with pytest.raises(ValueError, match="needs the lattice size"):
        RandomLatticePermutation("kagome").build((None, None, None, 3))


def test_a_model_config_takes_a_lattice_as_its_group(rng):
    """``group="kagome"``: the zoo's invariant trunk averaged over kagome's point group on sites; ``augment="kagome"``:
    random kagome symmetries for the CNN. The invariant model is exact under every symmetry of the torus."""
    from keras_imnn.models.builders import build_model
    from keras_imnn.models.config import ModelConfig

    torus = get_lattice("kagome").torus((2, 2))
    cfg = ModelConfig(arch="inv", input_shape=(2, 2, 3), filters=4, dilations=(1, 2), group="kagome",
                      input_scale=2.0, input_offset=-1.0)
    model = build_model(cfg)
    assert any(isinstance(layer, LatticeAverage) for layer in model.layers)
    x = rng.integers(0, 2, size=(3, 2, 2, 3)).astype("float32")
    y = keras.ops.convert_to_numpy(model(x))
    for perm in torus.symmetries:
        np.testing.assert_allclose(keras.ops.convert_to_numpy(model(_image(x, perm))), y, atol=2e-6)
    cnn = build_model(ModelConfig(arch="cnn", input_shape=(2, 2, 3), filters=4, dilations=(1,), group=None,
                                  augment="kagome"))
    assert any(isinstance(layer, RandomLatticePermutation) for layer in cnn.layers)


@pytest.mark.parametrize(("overrides", "message"), [
    (dict(input_shape=(None, None, 3)), r"group='kagome' needs input_shape \(L1, L2, 3\) with L1, L2 fixed"),
    (dict(input_shape=(2, 2, 1)), r"one channel per site of a kagome cell\); got \(2, 2, 1\)"),
    (dict(orbit_training="sample"), "needs invariance 'orbit' and orbit_training 'exact'"),
    (dict(group=None, augment="kagome", input_shape=(2, 2, 1)), "augment='kagome' needs input_shape"),
])
def test_lattice_configs_that_cannot_work_are_refused(overrides, message):
    from keras_imnn.models.config import ModelConfig

    with pytest.raises(ValueError, match=message):
        ModelConfig(**{"arch": "inv", "input_shape": (2, 2, 3), "group": "kagome", **overrides})


def test_the_lattice_comparison_trains_with_the_lattice_symmetries(rng):
    """``compare_models.py --variants lattice`` on kagome data: the CNN augmented by kagome symmetries and the
    multiscale trunk averaged over kagome's point group train through ``train_on`` (one epoch each)."""
    from keras_imnn.arrays import Arrays
    from keras_imnn.tasks import TASKS
    from keras_imnn.training.data.task_data import TaskData
    from keras_imnn.training.experiments import compare_models
    from keras_imnn.training.experiments.comparison import run_variants
    from keras_imnn.training.settings import TrainSettings

    x = rng.integers(0, 2, size=(48, 2, 2, 3)).astype("float32")
    data = Arrays(x, rng.integers(0, 2, size=(48, 1)).astype("float32"))
    variants = compare_models.variants_of(TASKS["magnet"], "lattice", "kagome", x.shape)
    assert [v[2:] for v in variants[2:]] == [("kagome", {}), (False, {"input_shape": (2, 2, 3), "group": None}),
                                             (False, {"input_shape": (2, 2, 3), "group": "kagome"})]
    on_kagome = TaskData(data, None, data, TASKS["magnet"], ("kagome", (2, 2)))
    runs = run_variants(variants[2:], on_kagome, sizes=[None], seeds=[0],
                        progress=False, settings=TrainSettings(epochs=1, batch_size=16))
    assert [r["config"]["group"] for r in runs] == [None, None, "kagome"]
    assert [r["config"]["augment"] for r in runs] == ["kagome", None, None]
