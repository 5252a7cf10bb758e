"""A zoo model comes compiled for its task (keras-hub's tasks do), so fit/evaluate take the TFDS as_supervised
pairs as they are: photonic (eps (32, 32, 1) float32, tm_gap_ratio float32), magnet (spins (Lx, Ly, 1) uint8,
sign int64 ClassLabel)."""
import numpy as np
import pytest
import tensorflow as tf

import keras_imnn


def test_a_photonic_model_fits_and_evaluates_tfds_pairs():
    rng = np.random.default_rng(0)
    eps = rng.uniform(1, 13, (8, 32, 32, 1)).astype(np.float32)
    pairs = tf.data.Dataset.from_tensor_slices((eps, rng.uniform(0, 0.3, 8).astype(np.float32))).batch(4)
    model = keras_imnn.load("photonic_cnn")
    assert model.loss.name == "mean_squared_error"
    model.fit(pairs, epochs=1, verbose=0)
    loss, mae = model.evaluate(pairs, verbose=0)
    assert np.isfinite(loss) and 0 <= mae < 1


def test_a_magnet_model_fits_and_evaluates_tfds_pairs():
    rng = np.random.default_rng(0)
    spins = rng.integers(0, 2, (16, 6, 4, 1)).astype(np.uint8)
    pairs = tf.data.Dataset.from_tensor_slices((spins, rng.integers(0, 2, 16).astype(np.int64))).batch(8)
    model = keras_imnn.load("magnet_dense")
    history = model.fit(pairs, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}
    loss, accuracy = model.evaluate(pairs, verbose=0)
    assert np.isfinite(loss) and 0 <= accuracy <= 1


@pytest.mark.parametrize("kwargs", [{"include_top": False}, {}])
def test_only_models_with_their_top_are_compiled(kwargs):
    model = keras_imnn.load("magnet_dense", weights=None, **kwargs)
    assert model.compiled is not bool(kwargs)
