"""keras_imnn.predict: shapes, inputs, the validity domain, calibrated std and the shipped ensembles' integrity."""
import json
import shutil
import warnings

import numpy as np
import pytest

import keras_imnn
from keras_imnn.cli import main
from keras_imnn.domain import DomainWarning
from keras_imnn.models.registry import manifest, sha256
from keras_imnn.physics.photonic.cells import holes, rods, sample_unit_cells
from keras_imnn.uncertainty.calibration import combined_std
from keras_imnn.uncertainty.heads import features_and_outputs
from keras_imnn.uncertainty.shipped import load_uncertainty

CELLS = sample_unit_cells(6, "general", 7).eps  # seed 7: never trained on
SPINS = np.array([np.random.default_rng(i).permutation([0, 1] * 12).reshape(6, 4) for i in range(5)])


def predict_quietly(name, x, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = keras_imnn.predict(name, x, **kwargs)
    return result, [w for w in caught if issubclass(w.category, DomainWarning)]


@pytest.mark.parametrize("name, x, outputs", [("photonic_inv_dilated", CELLS, 1),
                                              ("photonic_edges_inv_dilated", CELLS, 32),
                                              ("magnet_inv_dilated", SPINS, 1)])
def test_prediction_shapes_and_calibrated_std(name, x, outputs):
    result, warned = predict_quietly(name, x)
    assert result.mean.shape == result.std.shape == (len(x), outputs)
    assert result.in_domain.shape == (len(x),) and result.in_domain.all() and result.reasons == [""] * len(x)
    assert not warned
    assert np.all(np.isfinite(result.std)) and np.all(result.std > 0)
    if name.startswith("magnet"):  # a probability, and the std of the 0/1 label's error
        assert np.all((result.mean > 0) & (result.mean < 1))
        np.testing.assert_allclose(result.std, np.sqrt(result.mean * (1 - result.mean)))


def test_every_shipped_name_predicts_with_finite_std():
    for name in (n for n in keras_imnn.list_models() if n in manifest()):
        x = SPINS if name.startswith("magnet") else CELLS[:2]
        result, _ = predict_quietly(name, x)
        assert np.all(np.isfinite(result.std)) and np.all(result.std > 0), name


def test_the_knn_term_widens_the_std_of_a_cell_far_from_the_training_cells():
    name = "photonic_inv_dilated"
    far = holes(0.45, 20.0)[None]  # a thin ε 20 grid: in the domain, unlike the generator's cells
    shipped = load_uncertainty(name)
    calibration, novelty = shipped.calibration, shipped.novelty
    assert calibration["kind"] == "combined"
    model = features_and_outputs(keras_imnn.load(name))
    features = np.asarray(model.predict(np.concatenate([CELLS, far])[..., None], verbose=0)[0], np.float64)
    distance2 = novelty.distance2(features)
    assert distance2[-1, 0] > 3 * np.median(distance2[:-1, 0])
    usual, _ = predict_quietly(name, CELLS)
    result, _ = predict_quietly(name, far)
    assert result.std[0, 0] > 3 * np.median(usual.std)
    assert (calibration["c"][0] ** 2 * distance2[-1, 0]) > 0.9 * result.std[0, 0] ** 2  # the distance decides


def test_band_edges_keep_their_order():
    edges = keras_imnn.predict("photonic_edges_inv_dilated", CELLS).mean.reshape(-1, 2, 8, 2)
    assert np.all(edges[..., 0] <= edges[..., 1])
    assert np.all(np.diff(edges[..., 0], axis=-1) >= 0) and np.all(np.diff(edges[..., 1], axis=-1) >= 0)


def test_numpy_and_tf_data_agree_batched_or_not():
    import tensorflow as tf

    expected = keras_imnn.predict("photonic_inv_dilated", CELLS).mean
    unbatched = tf.data.Dataset.from_tensor_slices((CELLS.astype(np.float32), np.zeros(len(CELLS))))
    for ds in (unbatched, unbatched.batch(4), tf.data.Dataset.from_tensor_slices(CELLS[..., None]).batch(3)):
        np.testing.assert_allclose(keras_imnn.predict("photonic_inv_dilated", ds).mean, expected, atol=1e-6)


def test_empty_batch_gives_empty_arrays():
    import tensorflow as tf

    for x in (CELLS[:0], tf.data.Dataset.from_tensor_slices(CELLS).take(0)):
        result = keras_imnn.predict("photonic_edges_inv_dilated", x)
        assert result.mean.shape == result.std.shape == (0, 32) and result.in_domain.shape == (0,)
        assert result.reasons == []


@pytest.mark.parametrize("name, x, match", [
    ("photonic_inv_dilated", np.full((1, 32, 32), -1.0), "ε ≤ 0"),
    ("photonic_inv_dilated", np.zeros((1, 32, 32)), "ε ≤ 0"),
    ("photonic_inv_dilated", np.full((1, 32, 32), np.nan), "NaN"),
    ("photonic_inv_dilated", np.ones((1, 32, 32), bool), "dtype bool"),
    ("photonic_inv_dilated", np.ones((1, 31, 32)), "shape"),
    ("magnet_inv", np.full((1, 6, 4), 0.5), "must be 0 or 1"),
    ("magnet_inv", -np.ones((1, 6, 4)), r"\(s \+ 1\) / 2"),
])
def test_invalid_input_is_a_value_error(name, x, match):
    with pytest.raises(ValueError, match=match):
        keras_imnn.predict(name, x)


@pytest.mark.parametrize("name, x, bad, reason", [
    ("photonic_inv_dilated", np.stack([rods(0.2, 60.0), CELLS[0]]), 0, "outside the training range"),
    ("photonic_inv", np.stack([CELLS[1], np.tile(holes(0.3, 12.0, n=16), (2, 2))]), 1, "repeats"),
    ("magnet_inv", np.stack([np.tile([[0, 1], [1, 0]], (2, 2))] * 2), None, "lattice 4×4"),
])
def test_out_of_domain_warns_once_per_call(name, x, bad, reason):
    result, warned = predict_quietly(name, x)
    assert len(warned) == 1
    expected = np.ones(len(x), bool)
    expected[slice(None) if bad is None else bad] = False
    np.testing.assert_array_equal(result.in_domain, expected)
    assert all((reason in r) == (not ok) for r, ok in zip(result.reasons, expected))
    assert reason in str(warned[0].message)


def test_gap_is_never_negative_nor_beyond_its_bound():
    x = np.stack([holes(0.2, 1e6), np.full((32, 32), 1e6), rods(0.3, 1e6), np.full((32, 32), 3.0), *CELLS])
    result, _ = predict_quietly("photonic_inv_dilated", x)
    assert np.all((result.mean >= 0) & (result.mean <= 2))  # 2 (ω2 - ω1) / (ω2 + ω1) < 2
    raw = keras_imnn.load("photonic_inv_dilated").predict(x[..., None], verbose=0)
    assert np.any(raw < 0) and np.any(raw > 2), "the raw Keras model stays plain Keras (the clip is predict's)"
    np.testing.assert_allclose(result.mean, np.clip(raw, 0, 2), atol=1e-5)


@pytest.fixture(scope="module")
def deep_ensemble(tmp_path_factory):
    """A weights folder where photonic_inv ships as a deep ensemble: its checkpoint and 4 perturbed copies."""
    name, root = "photonic_inv", tmp_path_factory.mktemp("weights")
    shutil.copytree(keras_imnn.models.registry.WEIGHTS_DIR / name, root / name)
    entries = json.loads((keras_imnn.models.registry.WEIGHTS_DIR / "manifest.json").read_text())
    block = entries[name]["uncertainty"]
    for member in block.pop("members"):
        (root / member["file"]).unlink()
    model, rng, block["checkpoints"] = keras_imnn.load(name), np.random.default_rng(0), []
    shipped = model.get_weights()
    for i in range(1, 5):
        model.set_weights([w * (1 + 0.05 * rng.standard_normal(w.shape)).astype(w.dtype) for w in shipped])
        path = root / name / f"ensemble_member_{i}.weights.h5"
        model.save_weights(path)
        block["checkpoints"].append({"file": f"{name}/{path.name}", "sha256": sha256(path)})
    (root / "manifest.json").write_text(json.dumps(entries))
    return name, root


def test_a_deep_ensemble_predicts_its_members_mean_with_their_calibrated_spread(deep_ensemble):
    name, root = deep_ensemble
    shipped = load_uncertainty(name, root)
    assert len(shipped.checkpoints) == 4 and not shipped.heads
    model = features_and_outputs(keras_imnn.load(name, weights_dir=root))
    features, first = model.predict(CELLS[..., None], verbose=0)
    runs = np.stack([first, *(m.predict(CELLS[..., None], verbose=0) for m in shipped.checkpoints)]).astype(float)
    assert np.all(runs.std(axis=0) > 0), "the members disagree"
    result, _ = predict_quietly(name, CELLS, weights_dir=root)
    np.testing.assert_allclose(result.mean, np.maximum(runs.mean(axis=0), 0), atol=1e-6)
    expected = combined_std(runs.var(axis=0), shipped.novelty.distance2(np.asarray(features, float)),
                            shipped.calibration)
    np.testing.assert_allclose(result.std, expected, rtol=1e-4)
    plain, _ = predict_quietly(name, CELLS)  # the same checkpoint with its head ensemble
    assert not np.allclose(plain.mean, result.mean)


def test_a_model_object_gets_its_outputs_and_nan_std():
    model = keras_imnn.load("photonic_inv_dilated")
    result = keras_imnn.predict(model, CELLS)
    np.testing.assert_allclose(result.mean, np.maximum(model.predict(CELLS[..., None], verbose=0), 0), atol=1e-6)
    assert np.isnan(result.std).all()
    model.name = "mine"  # noqa  (a model named after no zoo entry has no domain)
    with pytest.raises(ValueError, match="named after"):
        keras_imnn.predict(model, CELLS)


@pytest.mark.parametrize("kind", ["members", "knn", "checkpoints"])
def test_a_tampered_uncertainty_file_is_refused(tmp_path, deep_ensemble, kind):
    name, ensemble_root = deep_ensemble
    source = ensemble_root if kind == "checkpoints" else keras_imnn.models.registry.WEIGHTS_DIR
    shutil.copy(source / "manifest.json", tmp_path / "manifest.json")
    shutil.copytree(source / name, tmp_path / name)
    listed = json.loads((tmp_path / "manifest.json").read_text())[name]["uncertainty"][kind]
    member = tmp_path / (listed[0] if isinstance(listed, list) else listed)["file"]
    data = bytearray(member.read_bytes())
    data[len(data) // 2] ^= 1  # one bit of a weight
    member.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="integrity check"):
        keras_imnn.predict(name, CELLS, weights_dir=tmp_path)


def test_cli_predict_round_trip_and_faults(tmp_path, capsys):
    data, out = tmp_path / "x.npz", tmp_path / "preds.npz"
    np.savez(data, eps=np.concatenate([CELLS[:3], rods(0.2, 60.0)[None]]))
    assert main(["predict", "photonic_inv_dilated", "--data", str(data), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "in domain" in printed and "no: ε in" in printed
    with np.load(out) as saved:
        direct, _ = predict_quietly("photonic_inv_dilated", np.load(data)["eps"])
        np.testing.assert_allclose(saved["mean"], direct.mean)
        np.testing.assert_allclose(saved["std"], direct.std)
        assert saved["in_domain"].tolist() == [True, True, True, False] and saved["reasons"][3].startswith("ε in")
    before = out.read_bytes()
    assert main(["predict", "photonic_inv_dilated", "--data", str(data), "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err and out.read_bytes() == before
    np.savez(tmp_path / "bad.npz", eps=-CELLS)
    np.savez(tmp_path / "other.npz", y=CELLS)
    faults = ((["--data", str(tmp_path / "bad.npz")], "ε ≤ 0"),
              (["--data", str(tmp_path / "other.npz")], "holds no inputs: expected an array `eps` or `x`"),
              (["--data", str(tmp_path / "none.npz")], "no such data file"))
    for argv, match in faults:
        assert main(["predict", "photonic_inv_dilated", *argv, "--out", str(tmp_path / "new.npz")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("keras-imnn predict: error: ") and match in err and err.count("\n") == 1
    assert not (tmp_path / "new.npz").exists()


def test_public_names():
    assert keras_imnn.DomainWarning is DomainWarning and issubclass(DomainWarning, UserWarning)
    assert keras_imnn.Prediction is type(keras_imnn.predict("magnet_inv", SPINS[:1]))


def test_presets_state_the_validity_domain():
    zoo = keras_imnn.presets()
    assert "ε in [1, 20]" in zoo["photonic_inv_dilated"]["validity_domain"]
    assert "6×4" in zoo["magnet_inv"]["validity_domain"]
