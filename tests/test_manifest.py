"""The manifest records each checkpoint's config; loads into another architecture and manifest faults fail clearly."""
import json
import re

import numpy as np
import pytest

import keras_imnn
from keras_imnn.models.registry import config_drift, get_spec, manifest, sha256

SHIPPED = manifest()


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_entries_record_the_zoo_config(name):
    # Fields added to ModelConfig after a checkpoint was made count as their defaults.
    assert config_drift(SHIPPED[name]["config"], get_spec(name).config) == []


def test_a_field_newer_than_the_checkpoint_counts_as_its_default():
    recorded = json.loads(json.dumps(get_spec("photonic_inv").config.to_dict()))
    del recorded["head"]  # as a manifest written before the field existed
    assert config_drift(recorded, get_spec("photonic_inv").config) == []
    drift = config_drift(recorded, get_spec("photonic_inv").config.replace(head="band_edges", outputs=32))
    assert "head: 'linear' → 'band_edges'" in drift and "outputs: 1 → 32" in drift


@pytest.mark.parametrize("overrides, field", [
    (dict(dilations=(1, 2, 4)), "dilations"), (dict(dilations=(1, 1, 1, 1)), "dilations"),
    (dict(pooling=("max",)), "pooling"), (dict(input_scale=1.0), "input_scale"),
    (dict(input_offset=0.0), "input_offset"), (dict(group="c4"), "group"), (dict(invariance="tied"), "invariance"),
    (dict(input_shape=(16, 16, 1)), "input_shape"), (dict(head_units=()), "head_units"), (dict(outputs=2), "outputs"),
])
def test_pretrained_load_into_another_config_is_refused(overrides, field):
    with pytest.raises(ValueError, match=rf"trained with another .*{field}: .* → .*pretrained=False.*finetune"):
        keras_imnn.load("photonic_inv_dilated", **overrides)


def test_pretrained_load_allows_lattice_size_of_size_agnostic_models_and_augment(rng):
    x = rng.integers(0, 2, size=(3, 8, 8, 1)).astype("float32")
    base = keras_imnn.load("magnet_inv")
    resized = keras_imnn.load("magnet_inv", input_shape=(8, 8, 1))
    np.testing.assert_allclose(resized.predict(x, verbose=0), base.predict(x, verbose=0), rtol=1e-6)
    with pytest.raises(ValueError, match=re.escape("input_shape: [None, None, 1] → [8, 8, 2]")):
        keras_imnn.load("magnet_inv", input_shape=(8, 8, 2))
    keras_imnn.load("photonic_cnn", augment="d4")  # training-only: identity at inference


def write_checkpoint(tmp_path, entry_overrides=None, config=None):
    source = keras_imnn.load("magnet_inv", pretrained=False)
    source.save_weights(tmp_path / "magnet_inv.weights.h5")
    entry = {"file": "magnet_inv.weights.h5", "sha256": sha256(tmp_path / "magnet_inv.weights.h5")}
    if config is not None:
        entry["config"] = config
    (tmp_path / "manifest.json").write_text(json.dumps({"magnet_inv": {**entry, **(entry_overrides or {})}}))
    return source


def test_entries_without_config_still_load(tmp_path, rng):
    source = write_checkpoint(tmp_path)
    x = rng.integers(0, 2, size=(2, 6, 4, 1)).astype("float32")
    np.testing.assert_array_equal(keras_imnn.load("magnet_inv", weights_dir=tmp_path).predict(x, verbose=0),
                                  source.predict(x, verbose=0))


def test_recorded_config_is_checked(tmp_path):
    config = json.loads(json.dumps(get_spec("magnet_inv").config.replace(filters=8).to_dict()))
    write_checkpoint(tmp_path, config=config)
    with pytest.raises(ValueError, match="filters: 8 → 32"):
        keras_imnn.load("magnet_inv", weights_dir=tmp_path)


@pytest.mark.parametrize("fault, error, match", [
    ("not json", ValueError, "manifest.json is not valid JSON"),
    ("list", ValueError, "manifest .*manifest.json must be a JSON object"),
    ("folder", ValueError, "manifest .*manifest.json is not a file"),
    ("no file", ValueError, "manifest .*manifest.json: entry 'magnet_inv' lacks 'file'"),
    ("no sha256", ValueError, "manifest .*manifest.json: entry 'magnet_inv' lacks 'sha256'"),
    ("bad config", ValueError, "manifest .*manifest.json: entry 'magnet_inv' has a 'config'"),
    ("checkpoint missing", FileNotFoundError, "checkpoint .*gone.weights.h5 listed in the manifest .* is missing"),
    ("checkpoint folder", ValueError, "checkpoint .*magnet_inv.weights.h5 listed in the manifest .* is not a file"),
])
def test_manifest_faults_name_the_file(tmp_path, fault, error, match):
    write_checkpoint(tmp_path)
    path = tmp_path / "manifest.json"
    entry = json.loads(path.read_text())["magnet_inv"]
    if fault == "not json":
        path.write_text('{"magnet_inv": {"file": ')
    elif fault == "list":
        path.write_text("[]")
    elif fault == "folder":
        path.unlink()
        path.mkdir()
    elif fault == "checkpoint folder":
        (tmp_path / entry["file"]).unlink()
        (tmp_path / entry["file"]).mkdir()
    else:
        broken = {"no file": {k: v for k, v in entry.items() if k != "file"},
                  "no sha256": {k: v for k, v in entry.items() if k != "sha256"},
                  "bad config": {**entry, "config": [1]},
                  "checkpoint missing": {**entry, "file": "gone.weights.h5"}}[fault]
        path.write_text(json.dumps({"magnet_inv": broken}))
    with pytest.raises(error, match=match):
        keras_imnn.load("magnet_inv", weights_dir=tmp_path)


def test_the_shipped_manifest_is_strict_json():
    """No NaN or Infinity tokens, which JSON does not have and many readers (jq, JavaScript) refuse."""
    from keras_imnn.models.registry import WEIGHTS_DIR

    def refuse(token: str) -> None:
        raise ValueError(f"non-standard JSON constant {token}")

    json.loads((WEIGHTS_DIR / "manifest.json").read_text(), parse_constant=refuse)
