"""Training, evaluation and one-call fine-tuning on small synthetic data."""
import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_imnn
from keras_imnn.arrays import Arrays
from keras_imnn.cli import main
from keras_imnn.models.registry import manifest
from keras_imnn.tasks.magnet_sign import MAGNET_SIGN as MAGNET
from keras_imnn.tasks.photonic_gap import PHOTONIC_GAP as PHOTONIC
from keras_imnn.tasks.photonic_gap import gap_to_midgap, regression_metrics
from keras_imnn.training.data.loading import arrays_from_examples
from keras_imnn.training.data.task_data import TaskData
from keras_imnn.training.loop.finetune import finetune
from keras_imnn.training.loop.train import fit, save_run
from keras_imnn.training.settings import TrainSettings


def magnets(data: Arrays, validation: Arrays | None = None) -> TaskData:
    """Magnet sign data of no recorded lattice, scored on their training examples."""
    return TaskData(data, validation, data, MAGNET)


def small_model(**overrides):
    return keras_imnn.load("photonic_inv_dilated", pretrained=False, input_shape=(8, 8, 1), filters=4,
                           **overrides)


def invariant_task(rng, n=96):
    """y = a D4- and shift-invariant function of the cell: learnable by the invariant model."""
    x = rng.uniform(1, 20, size=(n, 8, 8, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) / 10.0 - 1.0).astype("float32")
    return x, y


def test_regression_metrics_known_values():
    m = regression_metrics(np.array([0.0, 0.1, 0.2, 0.3]), np.array([0.0, 0.1, 0.0, 0.5]))
    assert m["mae"] == pytest.approx(0.1)
    assert m["rmse"] == pytest.approx(np.sqrt(0.02))
    assert m["r2"] == pytest.approx(1 - 0.08 / 0.05)
    assert m["has_gap_accuracy"] == pytest.approx(0.75)  # only 0.0 predicted for a 0.2 gap misses


def test_gap_to_midgap_and_feature_mapping():
    np.testing.assert_allclose(gap_to_midgap(np.array([0.0, 0.1]), np.array([0.0, 0.5])), [0.0, 0.2])
    data = arrays_from_examples({"eps": np.ones((3, 32, 32)), "te_gap": np.array([0, 0.1, 0.2]),
                                 "te_midgap": np.array([0.3, 0.5, 0.4]), "tm_gap": np.zeros(3),
                                 "tm_midgap": np.ones(3)}, target="te")
    assert data.x.shape == (3, 32, 32, 1) and data.y[:, 0].tolist() == pytest.approx([0, 0.2, 0.5])
    with pytest.raises(ValueError, match="expected 'x' and 'y'"):
        arrays_from_examples({"images": np.ones(3)})


def test_fit_learns_an_invariant_target(rng):
    x, y = invariant_task(rng)
    model = small_model()
    history = fit(model, Arrays(x[:80], y[:80, None]), Arrays(x[80:], y[80:, None]), task=PHOTONIC,
                  settings=TrainSettings(epochs=60, learning_rate=1e-2, patience=60, verbose=0))
    assert history.history["val_loss"][-1] < 0.1 * history.history["val_loss"][0]


def test_finetune_replaces_head_and_freezes_trunk(rng):
    x, y = invariant_task(rng)
    base = small_model()
    trunk_before = [w.copy() for w in base.get_layer("group_average").get_weights()]
    y3 = np.stack([y, 2 * y, -y], axis=1)
    model, history = finetune(base, x, y3, epochs=3, verbose=0)
    assert model.output_shape == (None, 3)
    head = model.get_layer("output")
    assert head.trainable and history.history["loss"][-1] < history.history["loss"][0]
    assert "val_loss" in history.history  # validation_split held data out
    for before, after in zip(trunk_before, model.get_layer("group_average").get_weights()):
        np.testing.assert_array_equal(before, after)
    model_all, _ = finetune(small_model(), x, y, freeze="none", epochs=2, verbose=0)
    assert all(layer.trainable for layer in model_all.layers)


def test_finetune_accepts_tf_data(rng):
    x, y = invariant_task(rng, n=32)
    ds = tf.data.Dataset.from_tensor_slices((x, y[:, None])).batch(8)
    model, history = finetune(small_model(), ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    with pytest.raises(ValueError, match="y=None"):
        finetune(small_model(), ds, y, epochs=1)


@pytest.mark.parametrize("x_fn,y_fn,match", [
    (lambda x: x.astype(str), lambda y: y, "real numeric array"),
    (lambda x: x[:, :4], lambda y: y, r"shape \(n, 8, 8, 1\)"),
    (lambda x: np.where(x > 19.9, np.nan, x), lambda y: y, "NaN"),
    (lambda x: x, lambda y: y[:-1], "n = len"),
    (lambda x: x, lambda y: np.full_like(y, np.inf), "NaN or infinite"),
])
def test_finetune_rejects_bad_data(rng, x_fn, y_fn, match):
    x, y = invariant_task(rng, n=16)
    with pytest.raises(ValueError, match=match):
        finetune(small_model(), x_fn(x), y_fn(y), epochs=1)


def test_finetune_rejects_bad_options(rng):
    x, y = invariant_task(rng, n=16)
    spins = rng.integers(0, 2, size=(16, 6, 4)).astype("float32")
    with pytest.raises(ValueError, match="must be 0 or 1"):
        finetune(keras_imnn.load("magnet_inv", pretrained=False, filters=4), spins, y, epochs=1)
    with pytest.raises(ValueError, match="freeze must be one of"):
        finetune(small_model(), x, y, freeze="half", epochs=1)
    with pytest.raises(ValueError, match="unknown task 'ranking'; known tasks: photonic, magnet"):
        finetune(small_model(), x, y, task="ranking", epochs=1)


@pytest.mark.parametrize("n,kwargs,match", [
    (0, {}, "x holds no samples"),
    (1, {}, "need at least 2 samples"),  # one for validation leaves none to train on
    (2, {"validation_split": 0.9}, "need at least 2 samples"),
    (8, {"epochs": 0}, "epochs must be >= 1"),
    (8, {"learning_rate": float("nan")}, "learning_rate must be a finite number > 0"),
    (8, {"batch_size": 0}, "batch_size must be >= 1"),
])
def test_finetune_refuses_too_few_samples_or_no_epochs(rng, n, kwargs, match):
    x, y = invariant_task(rng, n=8)
    with pytest.raises(ValueError, match=match):
        finetune(small_model(), x[:n], y[:n], **{"epochs": 1, **kwargs})
    if n == 1:  # without a validation split, one sample is enough
        finetune(small_model(), x[:1], y[:1], epochs=1, validation_split=0, verbose=0)


def test_augmented_baseline_trains_and_saves(rng, tmp_path):
    x, y = invariant_task(rng, n=32)
    model = keras_imnn.load("photonic_cnn", pretrained=False, input_shape=(8, 8, 1), filters=4,
                            augment="d4")
    history = fit(model, Arrays(x, y[:, None]), task=PHOTONIC, settings=TrainSettings(epochs=2, verbose=0))
    out = save_run(tmp_path / "run", model, {"model": "photonic_cnn"}, history.history)
    loaded = keras.saving.load_model(out / "model.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert json.loads((out / "run.json").read_text())["history"]["loss"]


def test_cli_finetune_on_npz(rng, tmp_path, capsys):
    x, y = invariant_task(rng, n=24)
    base = small_model()
    base.save(tmp_path / "base.keras")
    np.savez(tmp_path / "cells.npz", x=x, y=y)
    assert main(["finetune", str(tmp_path / "base.keras"), "--data", str(tmp_path / "cells.npz"),
                 "--out", str(tmp_path / "ft"), "--epochs", "2"]) == 0
    assert (tmp_path / "ft" / "model.keras").exists()
    assert main(["finetune", str(tmp_path / "base.keras"), "--data", str(tmp_path / "none.npz"),
                 "--out", str(tmp_path / "ft2")]) == 2
    assert "no such data file" in capsys.readouterr().err


def test_checkpoint_training_writes_verified_manifest(rng, tmp_path):
    from keras_imnn.training.checkpoints import main as train_checkpoints

    n = 2600  # 2 000 test + 500 validation (the builder's order) + 100 train
    x = rng.uniform(1, 20, size=(n, 32, 32)).astype("float32")
    gap = np.where(x.mean(axis=(1, 2)) > 10.5, 0.05, 0.0)
    np.savez(tmp_path / "cells.npz", eps=x, tm_gap=gap, tm_midgap=np.full(n, 0.4))
    train_checkpoints(["photonic", "--npz", str(tmp_path / "cells.npz"), "--models", "photonic_inv",
                       "--weights-dir", str(tmp_path / "w"), "--epochs", "1"])
    entry = json.loads((tmp_path / "w" / "manifest.json").read_text())["photonic_inv"]
    assert (entry["n_train"], entry["n_validation"], entry["n_test"]) == (100, 500, 2000)
    assert set(entry["test_metrics"]) == {"mae", "rmse", "r2", "has_gap_accuracy"}
    assert entry["data"].startswith("cells.npz: cells 0..2599 from `keras-imnn generate photonic`")
    assert entry["device"] == f"CPU ({os.cpu_count()} cores)" or "NVIDIA" in entry["device"]
    assert "test_metrics_by_family" not in entry  # these cells carry no family
    # `keras-imnn info` shows the same fields for every shipped checkpoint as the script writes now, but for
    # the per-family metrics (cells with families only), the weights a warm start began from, and the training
    # time of checkpoints made before it was recorded.
    before_wall_minutes = [k for k in entry if k != "wall_minutes"]
    # head_refit: sampled orbit training; uncertainty: head ensembles fitted later (benchmarks/trust_study.py)
    optional = ("test_metrics_by_family", "initial_weights", "head_refit", "uncertainty")
    assert all([k for k in shipped if k not in optional] in (list(entry), before_wall_minutes)
               for shipped in manifest().values())
    model = keras_imnn.load("photonic_inv", weights_dir=tmp_path / "w")  # sha256 verified
    assert model.predict(x[:2, ..., None], verbose=0).shape == (2, 1)


def test_symmetric_cells_train_the_trivial_twin_to_the_same_model(rng, monkeypatch):
    import keras_imnn.training.loop.train as train_module

    # Orbit sums of integer cells are exactly D4-symmetric: their D4 orbits are shifts.
    base = rng.integers(1, 20, size=(48, 8, 8, 1)).astype("float32")
    x = sum(np.asarray(keras_imnn.layers.apply_element(base, g)) for g in keras_imnn.layers.group_elements("d4")) / 8
    x = np.roll(x, (2, 3), axis=(1, 2))
    y = (x.std(axis=(1, 2, 3)) / 5.0)[:, None].astype("float32")
    data = [Arrays(x[:32], y[:32]), Arrays(x[32:40], y[32:40]), Arrays(x[40:], y[40:])]
    kw = dict(settings=TrainSettings(epochs=3, verbose=0), input_shape=(8, 8, 1), filters=4)
    fast = train_module.train_on("photonic_inv_dilated", TaskData(*data, PHOTONIC), **kw)
    monkeypatch.setattr(train_module, "trivial_group_twin", lambda *a: None)
    slow = train_module.train_on("photonic_inv_dilated", TaskData(*data, PHOTONIC), **kw)
    assert fast.info["trained_with_trivial_group"] and not slow.info["trained_with_trivial_group"]
    assert fast.model.get_layer("group_average") is not None  # the returned model is the D4 one
    np.testing.assert_allclose(fast.model.predict(x, verbose=0), slow.model.predict(x, verbose=0), atol=1e-5)
    noisy = [Arrays(a.x + rng.uniform(0, 1e-2, a.x.shape).astype("float32"), a.y) for a in data]
    monkeypatch.undo()
    noisy_run = train_module.train_on("photonic_inv_dilated", TaskData(*noisy, PHOTONIC), **kw)
    assert not noisy_run.info["trained_with_trivial_group"]


def test_training_uses_xla_on_tensorflow_unless_opted_out(monkeypatch):
    from keras_imnn.training.loop.train import compile_model

    monkeypatch.delenv("KERAS_IMNN_XLA")
    assert compile_model(small_model(), PHOTONIC).jit_compile is (keras.backend.backend() == "tensorflow")
    monkeypatch.setenv("KERAS_IMNN_XLA", "0")
    assert compile_model(small_model(), PHOTONIC).jit_compile is False


def test_trivial_group_twin_applies_only_where_it_is_the_same_function(rng):
    from keras_imnn.layers import GroupAverage, PeriodicConv2D
    from keras_imnn.training.loop.orbit_twin import trivial_group_twin

    base = rng.integers(1, 20, size=(6, 8, 8, 1)).astype("float32")
    symmetric = sum(np.asarray(keras_imnn.layers.apply_element(base, g))
                    for g in keras_imnn.layers.group_elements("d4"))
    model = small_model()
    twin = trivial_group_twin(model, symmetric)
    assert twin is not None and not any(isinstance(layer, GroupAverage) for layer in twin.layers)
    np.testing.assert_allclose(twin.predict(symmetric, verbose=0), model.predict(symmetric, verbose=0), atol=1e-5)
    assert trivial_group_twin(model, base) is None  # asymmetric cells: the orbit average matters
    # A trunk that is not shift-invariant (no global pooling): orbit averaging is not the identity.
    inputs = keras.Input((8, 8, 1))
    flat = keras.Sequential([PeriodicConv2D(2, 3), keras.layers.Flatten()])
    assert trivial_group_twin(keras.Model(inputs, GroupAverage(flat, "d4")(inputs)), symmetric) is None


def test_finetune_on_symmetric_cells_trains_the_twin(rng):
    base = rng.integers(1, 20, size=(40, 8, 8, 1)).astype("float32")
    x = sum(np.asarray(keras_imnn.layers.apply_element(base, g)) for g in keras_imnn.layers.group_elements("d4"))
    y = (x.std(axis=(1, 2, 3)) / 40.0).astype("float32")
    model, history = finetune(small_model(), x, y, epochs=2, freeze="none", verbose=0)
    assert history.trained_with_trivial_group
    assert model.get_layer("group_average") is not None
    # x is symmetric, so check the copied-back model on inputs that are not: it must still average.
    rotated = np.asarray(keras_imnn.layers.apply_element(base, keras_imnn.layers.group_elements("d4")[5]))
    np.testing.assert_allclose(model.predict(rotated, verbose=0), model.predict(base, verbose=0), atol=1e-5)
    assert np.ptp(model.predict(base, verbose=0)) > 1e-4  # not a constant model


def test_comparison_on_another_point_group_augments_and_averages_with_it(rng):
    # The triangular 6×4 grid keeps only C2: the augmented CNN draws from C2, the invariant models
    # average over it (this combination once passed `augment` twice and crashed).
    from keras_imnn.tasks import TASKS
    from keras_imnn.training.experiments.comparison import run_variants, with_group
    from keras_imnn.training.loop.train import train_on

    by_label = {v[0]: v for v in with_group(TASKS["magnet"].baselines, "c2")}
    assert by_label["magnet_cnn + aug"][2:] == ("c2", {}) and by_label["magnet_cnn"][2:] == (False, {})
    assert by_label["magnet_inv"][2:] == (False, {"group": "c2"})
    x = rng.choice([-1.0, 1.0], size=(24, 6, 4, 1)).astype("float32")
    data = Arrays(x, (x.sum(axis=(1, 2, 3)) > 0).astype("float32")[:, None], np.full(24, 1 / 24))
    one_epoch = TrainSettings(epochs=1, batch_size=8, verbose=0)
    runs = run_variants([by_label["magnet_cnn + aug"], by_label["magnet_inv"]], magnets(data),
                        sizes=[16], seeds=[0], progress=False, settings=one_epoch)
    assert [r["variant"] for r in runs] == ["magnet_cnn + aug", "magnet_inv"]
    result = train_on("magnet_cnn", magnets(data), augment="c2", settings=one_epoch)
    assert result.model.get_layer("augment").group == "c2" and result.info["augment"] == "c2"
    result = train_on("magnet_cnn", magnets(data), augment=True, settings=one_epoch)
    assert result.model.get_layer("augment").group == "d2"  # the lattice's own group on a 6×4 grid


def test_fixed_size_models_are_built_for_the_data_lattice(rng):
    """magnet_dense and magnet_cnn are 6x4 by default; on 6x6 data (the 36-spin configs) they are built 6x6,
    in training and in the comparison's recorded config, while an explicit input_shape still wins."""
    from keras_imnn.training.experiments.comparison import run_variants
    from keras_imnn.training.loop.train import train_on

    x = rng.choice([0.0, 1.0], size=(16, 6, 6, 1)).astype("float32")
    data = Arrays(x, (x.sum(axis=(1, 2, 3)) > 18).astype("float32")[:, None], np.full(16, 1 / 16))
    one_epoch = TrainSettings(epochs=1, batch_size=8, verbose=0)
    for name in ("magnet_dense", "magnet_cnn"):
        assert train_on(name, magnets(data), settings=one_epoch).model.input_shape == (None, 6, 6, 1)
    runs = run_variants([("magnet_dense", "magnet_dense", False, {})], magnets(data), sizes=[None], seeds=[0],
                        progress=False, settings=one_epoch)
    assert runs[0]["config"]["input_shape"] == [6, 6, 1]
    with pytest.raises(ValueError, match=r"expects inputs of shape \(batch, 6, 4, 1\)"):
        train_on("magnet_dense", magnets(data), settings=one_epoch, input_shape=(6, 4, 1))


def test_comparison_resumes_finished_runs_but_not_those_of_a_changed_config(rng, tmp_path):
    # A zoo default that changes (say its dilations) must not let old runs stand in for the new model.
    from keras_imnn.training.experiments.comparison import run_variants

    x = rng.choice([-1.0, 1.0], size=(24, 6, 4, 1)).astype("float32")
    data = Arrays(x, (x.sum(axis=(1, 2, 3)) > 0).astype("float32")[:, None], np.full(24, 1 / 24))
    path = tmp_path / "results.json"
    kwargs = dict(sizes=[16], seeds=[0], progress=False, settings=TrainSettings(epochs=1, batch_size=8),
                  results_path=path)
    variant = ("inv", "magnet_inv", False, {"dilations": [1, 2]})
    first = run_variants([variant], magnets(data), **kwargs)
    assert first[0]["config"]["dilations"] == [1, 2] and first[0]["config"]["augment"] is None
    assert run_variants([variant], magnets(data), **kwargs) == first  # resumed: nothing retrained
    with pytest.raises(ValueError, match=r"'inv' runs of another model config.*'dilations': \(\[1, 2\], \[1, 3\]\)"):
        run_variants([("inv", "magnet_inv", False, {"dilations": [1, 3]})], magnets(data), **kwargs)
    legacy = [{k: v for k, v in first[0].items() if k != "config"}]  # files from before configs were kept
    path.write_text(json.dumps(legacy))
    assert run_variants([variant], magnets(data), **kwargs) == legacy
    aug = run_variants([("cnn + aug", "magnet_cnn", True, {})], magnets(data), **kwargs)
    assert aug[-1]["config"]["augment"] == "d2"  # the group train_on drew from, as it builds it


def test_comparison_refuses_to_resume_a_run_asked_for_with_other_settings(rng, tmp_path):
    # Validating every 5 epochs stops training at other epochs: such runs must not stand in for each other,
    # while other sizes of the same file may have their own settings (fewer epochs for more examples).
    from keras_imnn.training.experiments.comparison import run_variants

    x = rng.choice([-1.0, 1.0], size=(24, 6, 4, 1)).astype("float32")
    data = Arrays(x, (x.sum(axis=(1, 2, 3)) > 0).astype("float32")[:, None], np.full(24, 1 / 24))
    path = tmp_path / "results.json"
    variant = ("dense", "magnet_dense", False, {})
    one = TrainSettings(epochs=1, batch_size=8)
    first = run_variants([variant], magnets(data, data), sizes=[16], seeds=[0], progress=False, settings=one,
                         results_path=path)
    assert first[0]["settings"] == one.record()
    other = TrainSettings(epochs=1, batch_size=8, validate_every=5)
    with pytest.raises(ValueError, match=r"'dense' run on 16 examples, seed 0, trained with other settings"):
        run_variants([variant], magnets(data, data), sizes=[16], seeds=[0], progress=False, settings=other,
                     results_path=path)
    both = run_variants([variant], magnets(data, data), sizes=[8], seeds=[0], progress=False, settings=other,
                        results_path=path)
    assert [r["settings"].get("validate_every") for r in both] == [None, 5]



def test_comparison_results_file_is_whole_after_a_failed_write(rng, tmp_path, monkeypatch):
    # A kill or a full disk while results.json is rewritten must keep the runs already finished.
    from pathlib import Path
    from types import SimpleNamespace

    from keras_imnn.training.experiments import comparison

    monkeypatch.setattr(comparison, "train_on", lambda *a, **k: SimpleNamespace(info={"epochs_run": 1},
                                                                                metrics={"accuracy": 0.5}))
    x = rng.choice([-1.0, 1.0], size=(24, 6, 4, 1)).astype("float32")
    data = Arrays(x, (x.sum(axis=(1, 2, 3)) > 0).astype("float32")[:, None], np.full(24, 1 / 24))
    path = tmp_path / "results.json"
    kwargs = dict(sizes=[16], progress=False, results_path=path)
    variant = ("inv", "magnet_inv", False, {})
    comparison.run_variants([variant], magnets(data), seeds=[0], **kwargs)
    previous = path.read_text()
    write_text = Path.write_text

    def full_disk(self, text, *a, **k):  # some bytes reach the disk, then it is full
        write_text(self, text[:10], *a, **k)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(OSError, match="No space left"):
        comparison.run_variants([variant], magnets(data), seeds=[0, 1], **kwargs)
    assert path.read_text() == previous and len(json.loads(previous)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temporary file left

def test_summary_table_follows_the_variants_order_not_the_run_order(tmp_path):
    from keras_imnn.training.experiments.comparison import plot_comparison, summarize

    runs = [{"variant": v, "n_train": n, "seed": s, "test_metrics": {"mae": m, "r2": 0.5}}
            for v, n, m in (("cnn + aug", 100, 0.3), ("inv", 100, 0.1), ("cnn", 200, 0.2), ("cnn", 100, 0.2))
            for s, m in ((0, m), (1, m + 0.02))]
    table, stats = summarize(runs, PHOTONIC, order=["cnn", "cnn + aug", "inv"])
    rows = [line.split(" | ")[:3] for line in table.splitlines()[2:]]
    assert rows == [["| cnn", "100", "2"], ["| cnn + aug", "100", "2"], ["| inv", "100", "2"], ["| cnn", "200", "2"]]
    assert stats[("inv", 100, "mae")] == pytest.approx((0.11, 0.01))
    plot_comparison(stats, PHOTONIC, tmp_path / "curves.png")  # two sizes: learning curves, log MAE axis
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_saved_run_loads_without_warnings(rng, tmp_path):
    # A run saved after fine-tuning a frozen trunk warned "Skipping variable loading for
    # optimizer 'adam'" on every load (its optimizer state did not match the loaded model's variables).
    import warnings

    x, y = invariant_task(rng, n=16)
    model, history = finetune(small_model(), x, y, epochs=1, verbose=0)
    out = save_run(tmp_path / "run", model, {}, history.history)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = keras.saving.load_model(out / "model.keras")
    assert [str(w.message) for w in caught] == []
    assert loaded.name == model.name and not loaded.get_layer("group_average").trainable  # frozen as saved
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_finetune_takes_the_task_from_the_model(rng):
    # A magnet model was fine-tuned with MSE on its sign logit unless told otherwise.
    spins = rng.integers(0, 2, size=(16, 6, 4)).astype("float32")
    sign = (spins.sum(axis=(1, 2)) % 2).astype("float32")
    magnet = keras_imnn.load("magnet_inv", pretrained=False, filters=4)
    model, history = finetune(magnet, spins, sign, epochs=1, verbose=0)
    assert isinstance(model.loss, keras.losses.BinaryCrossentropy) and "accuracy" in history.history
    assert set(history.validation_metrics) == {"accuracy"}
    with pytest.raises(ValueError, match="is a magnet model; it cannot be trained for the photonic task"):
        finetune(keras_imnn.load("magnet_inv", pretrained=False, filters=4), spins, sign, task="regression")
    custom = keras.Sequential([keras.Input((6, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(1, name="output")],
                              name="custom")
    with pytest.raises(ValueError, match="cannot tell the task of model 'custom'"):
        finetune(custom, spins, sign, epochs=1)
    _, history = finetune(custom, spins, sign, task="magnet", epochs=1, verbose=0)
    assert "accuracy" in history.history
