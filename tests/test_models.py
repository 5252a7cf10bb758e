"""The zoo: exact invariance of every *_inv* model, the baselines' lack of it, I/O contracts."""
import contextlib
import json
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_imnn
from keras_imnn.groups import transposes
from keras_imnn.layers import apply_element, group_elements
from keras_imnn.models.registry import get_spec, sha256

INV = [n for n in keras_imnn.list_models() if "_inv" in n]
CNN = [n for n in keras_imnn.list_models() if n.endswith("_cnn")]


def sample_input(name, rng, batch=4, shape=None, dtype="float32"):
    if get_spec(name).task.startswith("photonic"):
        return rng.uniform(1.0, 20.0, size=(batch, *(shape or (32, 32)), 1)).astype(dtype)
    return rng.integers(0, 2, size=(batch, *(shape or (6, 4)), 1)).astype(dtype)


@contextlib.contextmanager
def float64_models():
    """Build and run models in float64, so exactness tests are not blurred by float32 round-off.

    Keras caches its global dtype policy from floatx on first use, so both are set and restored.
    """
    floatx, policy = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    try:
        yield
    finally:
        keras.config.set_floatx(floatx)
        keras.config.set_dtype_policy(policy)


@pytest.fixture
def float64():
    with float64_models():
        yield


def assert_invariant(model, x, group, shifts):
    """Outputs equal under every element of ``group`` and every shift, to float64 round-off (the
    models run in float64: float32 round-off of an untrained head's orbit sum reached 1e-5 of its
    tiny outputs; a broken symmetry changes outputs by O(1))."""
    y = model.predict(x, verbose=0)
    assert y.dtype == np.float64, "run under the float64 fixture"
    atol = 1e-10 * np.abs(y).max()
    for g in group_elements(group):
        gx = keras.ops.convert_to_numpy(apply_element(x, g))
        np.testing.assert_allclose(model.predict(gx, verbose=0), y, rtol=1e-10, atol=atol,
                                   err_msg=f"not invariant under {g}")
    for shift in shifts:
        np.testing.assert_allclose(model.predict(np.roll(x, shift, axis=(1, 2)), verbose=0), y,
                                   rtol=1e-10, atol=atol, err_msg=f"not invariant under shift {shift}")


@pytest.mark.parametrize("invariance", ["orbit", "tied"])
@pytest.mark.parametrize("name", INV)
def test_inv_models_are_exactly_invariant(name, invariance, rng, float64):
    x = sample_input(name, rng, dtype="float64")
    h, w = x.shape[1:3]
    group = get_spec(name).config.group
    if invariance == "tied" and h != w and transposes(group):  # tied kernels need squares for D4: D2 here
        group = "d2"
    model = keras_imnn.load(name, pretrained=False, invariance=invariance, group=group)
    shifts = [tuple(rng.integers(0, (h, w))) for _ in range(3)]
    assert_invariant(model, x, group, shifts)


@pytest.mark.parametrize("name", INV)
def test_headless_inv_models_return_exactly_invariant_features(name, rng, float64):
    model = keras_imnn.load(name, weights=None, include_top=False)
    x = sample_input(name, rng, dtype="float64")
    assert model.predict(x, verbose=0).shape == (4, get_spec(name).config.filters)
    h, w = x.shape[1:3]
    assert_invariant(model, x, get_spec(name).config.group, [tuple(rng.integers(0, (h, w))) for _ in range(3)])


@pytest.mark.parametrize("name", ["magnet_inv", "magnet_inv_dilated"])
def test_magnet_inv_models_are_size_agnostic_and_d4_on_square_lattices(name, rng, float64):
    model = keras_imnn.load(name, pretrained=False, group="d4")
    # Three sizes through one model: from the third, TF relaxes H, W to unknown (int32 tensors)
    # inside the conv's index arithmetic.
    for shape in [(4, 4), (6, 6), (8, 8)]:
        assert_invariant(model, sample_input(name, rng, shape=shape, dtype="float64"), "d4", [(1, 2), (3, 1)])
    d2 = keras_imnn.load(name, pretrained=False)
    assert d2.predict(sample_input(name, rng, shape=(8, 6)), verbose=0).shape == (4, 1)


@pytest.mark.parametrize("name", CNN)
def test_cnn_baselines_are_not_invariant(name, rng):
    model = keras_imnn.load(name, pretrained=False)
    x = sample_input(name, rng)
    y = model.predict(x, verbose=0)
    rotated = model.predict(np.flip(x, axis=1), verbose=0)
    shifted = model.predict(np.roll(x, (1, 1), axis=(1, 2)), verbose=0)
    assert np.abs(rotated - y).max() > 1e-4
    assert np.abs(shifted - y).max() > 1e-4


@pytest.mark.parametrize("name", keras_imnn.list_models())
def test_save_load_round_trip(name, rng, tmp_path):
    model = keras_imnn.load(name, pretrained=False)
    x = sample_input(name, rng)
    y = model.predict(x, verbose=0)
    assert y.shape == (4, get_spec(name).config.outputs) and y.dtype == np.float32
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), y)


@pytest.mark.parametrize("name", ["photonic_inv_dilated", "magnet_inv"])
def test_tf_data_pipeline_fit_and_predict(name, rng):
    model = keras_imnn.load(name, pretrained=False, outputs=3)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    x = sample_input(name, rng, batch=16)
    y = rng.normal(size=(16, 3)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    history = model.fit(ds, epochs=2, shuffle=False, verbose=0)  # a Dataset orders itself; Keras warns otherwise
    assert np.isfinite(history.history["loss"]).all()
    assert model.predict(ds.map(lambda a, b: a), verbose=0).shape == (16, 3)


def test_overrides_change_outputs_and_input_size(rng):
    model = keras_imnn.load("photonic_inv", pretrained=False, outputs=5, input_shape=(16, 16, 1))
    assert model.predict(sample_input("photonic_inv", rng, shape=(16, 16)), verbose=0).shape == (4, 5)
    with pytest.raises(ValueError, match="unknown model option"):
        keras_imnn.load("photonic_inv", pretrained=False, width=3)


def test_registry_errors():
    with pytest.raises(ValueError, match="Did you mean 'photonic_inv_dilated'.*Known models"):
        keras_imnn.load("photonic_inv_dilatd")
    with pytest.raises(ValueError, match="Known models: photonic_cnn"):
        keras_imnn.load("resnet50")


def test_pretrained_without_checkpoint_names_the_way_out(tmp_path):
    with pytest.raises(ValueError, match="pretrained=False"):
        keras_imnn.load("photonic_inv", weights_dir=tmp_path)


def test_pretrained_weights_are_sha256_verified(tmp_path, rng):
    source = keras_imnn.load("magnet_inv", pretrained=False)
    source.save_weights(tmp_path / "magnet_inv.weights.h5")
    entry = {"file": "magnet_inv.weights.h5", "sha256": sha256(tmp_path / "magnet_inv.weights.h5")}
    (tmp_path / "manifest.json").write_text(json.dumps({"magnet_inv": entry}))
    x = sample_input("magnet_inv", rng)
    loaded = keras_imnn.load("magnet_inv", weights_dir=tmp_path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), source.predict(x, verbose=0))
    with warnings.catch_warnings(record=True) as caught, pytest.raises(ValueError, match="does not fit"):
        warnings.simplefilter("always")
        keras_imnn.load("magnet_inv", weights_dir=tmp_path, outputs=2)
    assert not [w for w in caught if "Skipping" in str(w.message)], "Keras' per-layer warnings repeat our error"
    with open(tmp_path / "magnet_inv.weights.h5", "ab") as f:
        f.write(b"tampered")
    with pytest.raises(ValueError, match="integrity check"):
        keras_imnn.load("magnet_inv", weights_dir=tmp_path)


def test_bad_inputs_fail_clearly(rng):
    # A fresh model per bad input: Keras retraces with relaxed shapes after a first call.
    model = keras_imnn.load("photonic_inv", pretrained=False)
    with pytest.raises(ValueError, match="photonic_inv expects inputs of shape \\(batch, 32, 32, 1\\); got"):
        model.predict(np.ones((2, 32, 32, 3), "float32"), verbose=0)
    with pytest.raises(ValueError, match="photonic_inv expects inputs of shape \\(batch, 32, 32, 1\\)"):
        keras_imnn.load("photonic_inv", pretrained=False)(np.ones((2, 4, 32, 32, 1), "float32"))
    with pytest.raises(ValueError, match="photonic_cnn expects inputs of shape \\(batch, 32, 32, 1\\)"):
        keras_imnn.load("photonic_cnn", pretrained=False).predict(np.ones((2, 48, 48, 1)), verbose=0)
    square = keras_imnn.load("magnet_inv", pretrained=False, group="d4", invariance="tied")
    with pytest.raises(ValueError, match="magnet_inv expects inputs of shape \\(batch, H, H, 1\\)"):
        square(np.ones((2, 6, 4, 1), "float32"))
    with pytest.raises(ValueError, match="square input"):
        keras_imnn.load("photonic_inv", pretrained=False, input_shape=(32, 16, 1))


def test_missing_channel_axis_is_added_as_keras_does(rng):
    model = keras_imnn.load("photonic_inv", pretrained=False)
    x = sample_input("photonic_inv", rng)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(x[..., 0])),
                                  keras.ops.convert_to_numpy(model(x)))
