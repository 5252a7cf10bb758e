"""orbit_training="sample": one random group element per example in training, the exact orbit average after."""
import json

import keras
import numpy as np
import pytest
from test_models import float64_models

import keras_imnn
from keras_imnn.arrays import Arrays
from keras_imnn.layers import GroupAverage, InvariantPooling2D, PeriodicConv2D, apply_element, group_elements
from keras_imnn.models.config import ModelConfig
from keras_imnn.models.registry import get_spec, sha256
from keras_imnn.tasks.photonic_gap import PHOTONIC_GAP as PHOTONIC
from keras_imnn.training.loop.train import fit
from keras_imnn.training.settings import TrainSettings

SMALL = dict(pretrained=False, input_shape=(8, 8, 1), filters=4, dilations=(1, 2))
D4 = group_elements("d4")


class BatchSizes(keras.layers.Layer):
    """Identity that records the batch size of each call (run eagerly)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs):
        self.seen.append(int(inputs.shape[0]))
        return inputs


def images(x):
    return [np.asarray(apply_element(x, g)) for g in D4]


def test_inference_is_the_exact_orbit_average_and_invariant(rng):
    with float64_models():
        exact = keras_imnn.load("photonic_inv_dilated", **SMALL)
        sample = keras_imnn.load("photonic_inv_dilated", orbit_training="sample", **SMALL)
        sample.set_weights(exact.get_weights())
        x = rng.uniform(1, 20, size=(3, 8, 8, 1))
        y = keras.ops.convert_to_numpy(sample(x))
        assert y.dtype == np.float64
        for training in (False, None):
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(sample(x, training=training)),
                                          keras.ops.convert_to_numpy(exact(x, training=training)))
        for image in images(x) + [np.roll(x, (3, 5), axis=(1, 2)), np.roll(images(x)[5], (1, 7), axis=(1, 2))]:
            np.testing.assert_allclose(keras.ops.convert_to_numpy(sample(image)), y, rtol=1e-12, atol=1e-14)


def test_training_runs_one_pass_on_one_random_element_per_example(rng):
    recorder = BatchSizes()
    trunk = keras.Sequential([recorder, PeriodicConv2D(3, 3, activation="relu"), InvariantPooling2D()])
    layer = GroupAverage(trunk, "d4", orbit_training="sample")
    x = np.repeat(rng.normal(size=(1, 6, 6, 1)).astype("float32"), 32, axis=0)
    exact = keras.ops.convert_to_numpy(layer(x))
    assert recorder.seen[-1] == 8 * 32  # inference: the whole orbit
    first = keras.ops.convert_to_numpy(layer(x, training=True))
    assert recorder.seen[-1] == 32  # training: one pass
    per_element = np.stack([keras.ops.convert_to_numpy(trunk(image[:1]))[0] for image in images(x)])
    which = [int(np.abs(per_element - row).max(axis=1).argmin()) for row in first]
    np.testing.assert_allclose(first, per_element[which], atol=1e-6)  # each output is f(g·x) for one g
    assert len(set(which)) > 3  # drawn per example, not once per batch
    np.testing.assert_allclose(per_element.mean(axis=0), exact[0], atol=1e-6)
    assert not np.allclose(keras.ops.convert_to_numpy(layer(x, training=True)), first)  # and per step


def test_equivariant_training_maps_the_output_back(rng):
    conv = PeriodicConv2D(2, 3)
    layer = GroupAverage(conv, "d4", equivariant=True, orbit_training="sample")
    x = np.repeat(rng.normal(size=(1, 6, 6, 1)).astype("float32"), 16, axis=0)
    layer(x)
    y = keras.ops.convert_to_numpy(layer(x, training=True))
    candidates = [keras.ops.convert_to_numpy(apply_element(conv(apply_element(x[:1], g)), g.inverse()))[0]
                  for g in D4]
    for row in y:
        assert min(np.abs(c - row).max() for c in candidates) < 1e-6


def test_the_option_is_serialized_and_checked(rng, tmp_path):
    model = keras_imnn.load("photonic_inv", orbit_training="sample", **SMALL)
    assert model.get_layer("group_average").get_config()["orbit_training"] == "sample"
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.get_layer("group_average").orbit_training == "sample"
    x = rng.uniform(1, 20, size=(2, 8, 8, 1)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert ModelConfig("inv", (8, 8, 1)).orbit_training == "exact"  # every existing model is unchanged
    with pytest.raises(ValueError, match="orbit_training must be one of"):
        ModelConfig("inv", (8, 8, 1), orbit_training="mean")
    with pytest.raises(ValueError, match="orbit_training must be one of"):
        GroupAverage(PeriodicConv2D(2, 3), orbit_training="mean")


def test_pretrained_load_may_sample_the_orbit_in_training(rng, tmp_path):
    source = keras_imnn.load("magnet_inv", pretrained=False)
    source.save_weights(tmp_path / "magnet_inv.weights.h5")
    config = get_spec("magnet_inv").config.to_dict()  # the checkpoint trained with the exact orbit
    assert config["orbit_training"] == "exact"
    entry = {"file": "magnet_inv.weights.h5", "sha256": sha256(tmp_path / "magnet_inv.weights.h5"), "config": config}
    (tmp_path / "manifest.json").write_text(json.dumps({"magnet_inv": entry}))
    loaded = keras_imnn.load("magnet_inv", weights_dir=tmp_path, orbit_training="sample")
    x = rng.integers(0, 2, size=(4, 6, 4, 1)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), source.predict(x, verbose=0))


def test_fit_trains_in_one_pass_and_keeps_the_twin_on_symmetric_cells(rng):
    model = keras_imnn.load("photonic_inv_dilated", orbit_training="sample", **SMALL)
    x = rng.uniform(1, 20, size=(32, 8, 8, 1)).astype("float32")
    y = x.std(axis=(1, 2, 3))[:, None] / 10
    history = fit(model, Arrays(x, y), task=PHOTONIC, settings=TrainSettings(epochs=2, verbose=0))
    assert np.isfinite(history.history["loss"]).all() and not history.trained_with_trivial_group
    # C4v cells: the orbit is shifts, so the trivial-group twin (1 pass, exact) still applies.
    symmetric = (sum(images(rng.integers(1, 20, size=(16, 8, 8, 1)).astype("float32"))) / 8).astype("float32")
    history = fit(model, Arrays(symmetric, y[:16]), task=PHOTONIC, settings=TrainSettings(epochs=1, verbose=0))
    assert history.trained_with_trivial_group
    assert history.head_refit is None  # the twin trained on the exact average: nothing to refit


def test_sampled_training_refits_the_head_on_the_exact_average(rng):
    """Sampled training fits the head to single elements' features; inference feeds it their average. On
    cells without symmetry fit() refits the head on the average, which lowers the inference loss."""
    model = keras_imnn.load("photonic_inv_dilated", orbit_training="sample", head_units=(16,), **SMALL)
    x = rng.uniform(1, 20, size=(96, 8, 8, 1)).astype("float32")
    y = (x[:, :4].mean(axis=(1, 2, 3)) - x[:, 4:].mean(axis=(1, 2, 3)))[:, None] ** 2 / 20  # not D4-invariant
    train, validation = Arrays(x[:64], y[:64]), Arrays(x[64:], y[64:])
    history = fit(model, train, validation, task=PHOTONIC, settings=TrainSettings(epochs=3, verbose=0))
    refit = history.head_refit
    assert refit["loss_after"] < refit["loss_before"] and refit["epochs"] > 1
    prediction = model.predict(validation.x, verbose=0)
    np.testing.assert_allclose(np.mean((prediction - validation.y) ** 2), refit["loss_after"], rtol=1e-4)
    assert fit(model, train, task=PHOTONIC, settings=TrainSettings(epochs=1, verbose=0)).head_refit is not None
    exact = keras_imnn.load("photonic_inv_dilated", orbit_training="exact", **SMALL)
    assert fit(exact, train, task=PHOTONIC, settings=TrainSettings(epochs=1, verbose=0)).head_refit is None
