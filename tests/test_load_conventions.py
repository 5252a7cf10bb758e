"""keras.applications' conventions for ``load`` (weights=, include_top=), keras-hub's presets, the weights
lookup of every kind of install, and the package's public surface."""
import json
import site
import sys
import sysconfig

import keras
import numpy as np
import pytest

import keras_imnn
from keras_imnn.models import registry
from keras_imnn.models.builders import feature_width
from keras_imnn.models.registry import get_spec, manifest

SHIPPED = manifest()


def sample_input(name, rng, batch=3):
    if get_spec(name).task.startswith("photonic"):
        return rng.uniform(1.0, 20.0, size=(batch, 32, 32, 1)).astype("float32")
    return rng.integers(0, 2, size=(batch, 6, 4, 1)).astype("float32")


def weights_of(model):
    return {layer.name: layer.get_weights() for layer in model.layers if layer.weights}


@pytest.mark.parametrize("name", keras_imnn.list_models())
def test_headless_models_return_their_feature_width(name, rng):
    model = keras_imnn.load(name, weights=None, include_top=False)
    assert model.predict(sample_input(name, rng), verbose=0).shape == (3, feature_width(get_spec(name).config))
    assert not any(layer.name == "output" or layer.name.startswith("head_") for layer in model.layers)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_pretrained_trunk_weights_load_into_the_headless_model(name):
    headless, full = weights_of(keras_imnn.load(name, include_top=False)), weights_of(keras_imnn.load(name))
    if get_spec(name).config.arch != "dense":  # the dense baseline's trunk is a bare flatten
        assert headless and set(headless) < set(full)
    for layer, weights in headless.items():
        for got, expected in zip(weights, full[layer], strict=True):
            np.testing.assert_array_equal(got, expected, err_msg=layer)


def test_headless_pretrained_load_ignores_only_the_heads_fields():
    keras_imnn.load("photonic_inv", include_top=False, outputs=3, head_units=())
    with pytest.raises(ValueError, match="trained with another .*dilations"):
        keras_imnn.load("photonic_inv", include_top=False, dilations=(1, 2))


def test_headless_models_keep_the_input_check_and_the_nan_guard(rng):
    model = keras_imnn.load("photonic_inv", weights=None, include_top=False)
    x = sample_input("photonic_inv", rng)
    x[1, 3, 4, 0] = np.inf
    features = model.predict(x, verbose=0)
    assert np.isnan(features[1]).all() and np.isfinite(features[[0, 2]]).all()
    with pytest.raises(ValueError, match=r"photonic_inv expects inputs of shape \(batch, 32, 32, 1\)"):
        model.predict(np.ones((2, 16, 16, 1), "float32"), verbose=0)


def test_a_weights_file_of_your_own_round_trips(tmp_path, rng):
    mine = keras_imnn.load("magnet_inv", weights=None)
    mine.save_weights(tmp_path / "mine.weights.h5")
    x = sample_input("magnet_inv", rng)
    for weights in (tmp_path / "mine.weights.h5", str(tmp_path / "mine.weights.h5")):
        np.testing.assert_array_equal(keras_imnn.load("magnet_inv", weights=weights).predict(x, verbose=0),
                                      mine.predict(x, verbose=0))
    # Its trunk loads into the headless model, whose own file round-trips too.
    headless = keras_imnn.load("magnet_inv", weights=tmp_path / "mine.weights.h5", include_top=False)
    assert weights_of(headless)["group_average"][0].tolist() == weights_of(mine)["group_average"][0].tolist()
    headless.save_weights(tmp_path / "features.weights.h5")
    again = keras_imnn.load("magnet_inv", weights=tmp_path / "features.weights.h5", include_top=False)
    np.testing.assert_array_equal(again.predict(x, verbose=0), headless.predict(x, verbose=0))


def test_a_bad_weights_file_is_one_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="weights file .*gone.weights.h5 does not exist; weights= takes"):
        keras_imnn.load("magnet_inv", weights=tmp_path / "gone.weights.h5")
    with pytest.raises(FileNotFoundError, match="is a folder"):
        keras_imnn.load("magnet_inv", weights=tmp_path)
    (tmp_path / "junk.weights.h5").write_text("not HDF5")
    keras_imnn.load("photonic_inv", weights=None).save_weights(tmp_path / "photonic.weights.h5")
    for path in (tmp_path / "junk.weights.h5", tmp_path / "photonic.weights.h5"):
        with pytest.raises(ValueError, match=f"(?s)checkpoint {path} does not fit 'magnet_inv'.*weights=None"):
            keras_imnn.load("magnet_inv", weights=path)
    with pytest.raises(TypeError, match="weights= takes 'pretrained', None or the path"):
        keras_imnn.load("magnet_inv", weights=True)


def test_pretrained_flag_still_works_and_contradictions_are_refused(tmp_path, rng):
    x = sample_input("magnet_inv", rng)
    pretrained = keras_imnn.load("magnet_inv").predict(x, verbose=0)
    np.testing.assert_array_equal(keras_imnn.load("magnet_inv", pretrained=True).predict(x, verbose=0), pretrained)
    np.testing.assert_array_equal(
        keras_imnn.load("magnet_inv", weights="pretrained", pretrained=True).predict(x, verbose=0), pretrained)
    assert np.abs(keras_imnn.load("magnet_inv", pretrained=False).predict(x, verbose=0) - pretrained).max() > 1e-3
    keras_imnn.load("magnet_inv", weights=None, pretrained=False)
    for weights, flag in [(None, True), ("pretrained", False), (tmp_path / "w.weights.h5", True)]:
        with pytest.raises(ValueError, match=rf"weights=.* contradicts pretrained={flag}; pass weights= alone"):
            keras_imnn.load("magnet_inv", weights=weights, pretrained=flag)


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No checkout and four distinct install prefixes, none holding weights yet."""
    monkeypatch.delenv("KERAS_IMNN_WEIGHTS", raising=False)
    monkeypatch.setattr(registry, "__file__", str(tmp_path / "site-packages" / "keras_imnn" / "models" / "x.py"))
    for where in ("prefix", "data", "user"):
        (tmp_path / where).mkdir()
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    real_get_path = sysconfig.get_path
    monkeypatch.setattr(sysconfig, "get_path", lambda name, *a, **k: str(tmp_path / "data") if name == "data"
                        else real_get_path(name, *a, **k))
    monkeypatch.setattr(site, "USER_BASE", str(tmp_path / "user"))
    return tmp_path


@pytest.mark.parametrize("where", ["prefix", "data", "user"])
def test_weights_are_found_in_every_kind_of_install(nowhere, where, monkeypatch):
    installed = nowhere / where / "share" / "keras_imnn" / "weights"
    installed.mkdir(parents=True)
    (installed / "manifest.json").write_text("{}")
    assert registry._weights_dir() == installed
    monkeypatch.setenv("KERAS_IMNN_WEIGHTS", str(nowhere / "mine"))
    assert registry.weights_dirs() == [nowhere / "mine"]


def test_without_checkpoints_the_error_names_every_place_looked(nowhere, monkeypatch):
    places = [nowhere / "site-packages" / "weights"] + [nowhere / w / "share" / "keras_imnn" / "weights"
                                                        for w in ("prefix", "data", "user")]
    assert registry.weights_dirs() == places
    with pytest.raises(ValueError, match="no manifest.json in " + ", ".join(map(str, places)) + r"\. .*weights=None"):
        keras_imnn.load("magnet_inv")
    monkeypatch.setenv("KERAS_IMNN_WEIGHTS", str(nowhere / "mine"))
    with pytest.raises(ValueError, match=r"no manifest.json in .*mine \(\$KERAS_IMNN_WEIGHTS\)"):
        keras_imnn.load("magnet_inv")


def test_presets_describe_every_model_with_its_checkpoint():
    presets = keras_imnn.presets()
    assert list(presets) == keras_imnn.list_models()
    for name, preset in presets.items():
        spec = get_spec(name)
        assert preset["task"] == spec.task and preset["description"] == spec.description
        assert preset["params"] == keras_imnn.load(name, weights=None).count_params()
        assert preset["features"] == feature_width(spec.config)
        assert (preset["invariance"] is None) == (spec.config.arch != "inv")
        assert preset["pretrained"] == (name in SHIPPED)
        entry = SHIPPED.get(name, {})
        assert preset["test_metrics"] == entry.get("test_metrics")
        assert preset["dataset_version"] == entry.get("dataset_version")
        assert entry.get("dataset", spec.dataset) == preset["dataset"]
    assert list(keras_imnn.presets("magnet")) == keras_imnn.list_models("magnet")
    json.dumps(presets)  # plain data, as keras-hub's metadata


def test_an_unknown_task_is_refused():
    assert keras_imnn.list_models("magnet") and keras_imnn.list_models("photonic")
    for call in (keras_imnn.list_models, keras_imnn.presets):
        with pytest.raises(ValueError, match="unknown task 'photo'; known tasks: photonic, magnet, photonic_edges"):
            call("photo")


def test_dir_shows_the_lazy_names():
    assert {"load", "finetune", "list_models", "presets", "layers", "__version__"} <= set(dir(keras_imnn))


def test_headless_saved_model_round_trips(tmp_path, rng):
    model = keras_imnn.load("photonic_inv_dilated", include_top=False)
    model.save(tmp_path / "features.keras")
    x = sample_input("photonic_inv_dilated", rng)
    np.testing.assert_array_equal(keras.saving.load_model(tmp_path / "features.keras").predict(x, verbose=0),
                                  model.predict(x, verbose=0))


def test_finetune_puts_a_head_on_a_headless_model(rng):
    headless = keras_imnn.load("photonic_inv", weights=None, include_top=False, filters=4)
    trunk = [w.copy() for w in headless.get_weights()]
    x = rng.uniform(1.0, 20.0, size=(12, 32, 32, 1)).astype("float32")
    tuned, _ = keras_imnn.finetune(headless, x, rng.random(12), task="photonic", epochs=2, verbose=0)
    assert tuned.predict(x, verbose=0).shape == (12, 1)
    # freeze="trunk" (the default) trains only the new head
    assert all(np.array_equal(a, b) for a, b in zip(trunk, tuned.get_layer("group_average").get_weights()))
