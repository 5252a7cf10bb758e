"""Fixed-budget training: a wall-clock budget, the learning-rate schedule, best weights restored however
training ends, the options of `keras-imnn train` and of the checkpoint script, per-family test metrics."""
import argparse
import json
from types import SimpleNamespace

import numpy as np
import pytest

import keras_imnn
import keras_imnn.training.loop.train as train_module
from keras_imnn.arrays import Arrays
from keras_imnn.cli import main
from keras_imnn.tasks.photonic_gap import PHOTONIC_GAP as PHOTONIC
from keras_imnn.training.data.task_data import TaskData
from keras_imnn.training.loop.evaluation import evaluate_arrays, evaluate_by_group
from keras_imnn.training.settings import TrainSettings


def small_model():
    return keras_imnn.load("photonic_inv_dilated", pretrained=False, input_shape=(8, 8, 1), filters=4)


def diverging(rng, n=32):
    """(train, validation) whose validation target is minus the training one: the better the model learns,
    the worse its validation loss, so the first epoch is the best and the last the worst."""
    x = rng.uniform(1, 20, size=(n, 8, 8, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) / 10.0)[:, None].astype("float32")
    return Arrays(x, y), Arrays(x, -y)


def fake_clock(monkeypatch, seconds_per_call=60.0):
    """train.py's clock advances a minute at each reading (training begins, each epoch ends)."""
    now = iter(np.arange(0, 1e6, seconds_per_call))
    monkeypatch.setattr(train_module, "time", SimpleNamespace(monotonic=lambda: float(next(now))))


@pytest.mark.parametrize("stopped_by,settings,epochs_run", [
    ("budget", {"epochs": 10, "patience": 10, "max_minutes": 2.5}, 3),  # epoch 3 ends at minute 3 > 2.5
    ("last epoch", {"epochs": 3, "patience": 10}, 3),
    ("patience", {"epochs": 10, "patience": 2}, 3),
])
def test_the_best_epochs_weights_are_restored_however_training_stops(rng, monkeypatch, stopped_by, settings,
                                                                      epochs_run):
    fake_clock(monkeypatch)
    train, validation = diverging(rng)
    model = small_model()
    history = train_module.fit(model, train, validation, task=PHOTONIC,
                               settings=TrainSettings(learning_rate=1e-2, verbose=0, **settings)).history
    assert len(history["val_loss"]) == epochs_run
    assert np.argmin(history["val_loss"]) == 0 and history["val_loss"][-1] > 1.01 * history["val_loss"][0]
    restored = model.evaluate(validation.x, validation.y, verbose=0, return_dict=True)["loss"]
    assert restored == pytest.approx(history["val_loss"][0], rel=1e-4)


def test_lr_patience_halves_the_learning_rate_on_the_monitored_loss(rng):
    train, validation = diverging(rng)
    settings = TrainSettings(epochs=4, patience=10, learning_rate=1e-2, lr_patience=0, verbose=0)
    history = train_module.fit(small_model(), train, validation, task=PHOTONIC, settings=settings).history
    # Each epoch's log holds the rate it trained with; every validation loss after the first is worse.
    assert history["learning_rate"] == pytest.approx([1e-2, 1e-2, 5e-3, 2.5e-3])
    kinds = [type(c).__name__ for c in train_module.training_callbacks("val_loss", TrainSettings())]
    assert kinds == ["ScoredEarlyStopping"]  # without lr_patience (or max_minutes), as before they existed


def test_lr_patience_ends_training_at_the_plateau_after_the_sixth_halving(rng):
    # Every validation loss after the first is worse, so the rate halves at the end of each epoch from the 2nd:
    # epoch 8 trains at 1/64 of the start, and its plateau, which would halve it a 7th time, ends training.
    train, validation = diverging(rng)
    settings = TrainSettings(epochs=50, patience=50, learning_rate=1e-2, lr_patience=0, verbose=0)
    history = train_module.fit(small_model(), train, validation, task=PHOTONIC, settings=settings).history
    assert history["learning_rate"] == pytest.approx([1e-2, *(1e-2 * 0.5 ** k for k in range(7))])


def test_validate_every_scores_every_kth_epoch_and_patience_still_counts_epochs(rng, recwarn):
    # Every validation loss after the first is worse: patience 4 epochs at k = 2 stops after the scores
    # of epochs 2, 4, 6 (two scores without progress = 4 epochs), with epoch 2's weights.
    train, validation = diverging(rng)
    model = small_model()
    settings = TrainSettings(epochs=20, patience=4, learning_rate=1e-2, validate_every=2, lr_patience=2, verbose=0)
    history = train_module.fit(model, train, validation, task=PHOTONIC, settings=settings).history
    assert len(history["loss"]) == 6 and len(history["val_loss"]) == 3
    # The schedule too acts (and logs its rate) at scores: lr_patience 2 epochs = one score; halved at epoch 4.
    assert history["learning_rate"] == pytest.approx([1e-2, 1e-2, 5e-3])
    restored = model.evaluate(validation.x, validation.y, verbose=0, return_dict=True)["loss"]
    assert restored == pytest.approx(history["val_loss"][0], rel=1e-4)
    assert not [w for w in recwarn if "not available" in str(w.message)]  # no warning at unscored epochs


@pytest.mark.parametrize("changes,message", [
    ({"max_minutes": 0}, "max_minutes must be a finite number > 0 (or None: no budget); got 0"),
    ({"max_minutes": -1.0}, "max_minutes must be a finite number > 0 (or None: no budget); got -1.0"),
    ({"max_minutes": float("nan")}, "max_minutes must be a finite number > 0 (or None: no budget); got nan"),
    ({"max_minutes": float("inf")}, "max_minutes must be a finite number > 0 (or None: no budget); got inf"),
    ({"lr_patience": -1}, "lr_patience must be >= 0 (or None: a constant learning rate); got -1"),
    ({"validate_every": 0}, "validate_every must be >= 1 (epochs between validations); got 0"),
])
def test_settings_refuse_a_bad_budget_or_lr_patience(changes, message):
    with pytest.raises(ValueError) as err:
        TrainSettings(**changes)
    assert str(err.value) == message


def test_settings_record_the_budget_and_schedule_only_when_set():
    assert TrainSettings(max_minutes=30.0, lr_patience=5).record() == {
        "epochs": 200, "patience": 20, "batch_size": 32, "learning_rate": 1e-3, "max_minutes": 30.0, "lr_patience": 5}
    assert set(TrainSettings().record()) == {"epochs", "patience", "batch_size", "learning_rate"}  # as before
    # --max-minutes is each run's budget in every command; a whole job's (nas, comparisons) is --total-minutes.
    args = argparse.Namespace(epochs=5, max_minutes=60.0, lr_patience=3, total_minutes=600.0)
    assert TrainSettings.from_args(args) == TrainSettings(epochs=5, lr_patience=3, max_minutes=60.0)
    assert TrainSettings.from_args(args, max_minutes=None).max_minutes is None


@pytest.mark.parametrize("option,value,message", [
    ("--max-minutes", "0", "argument --max-minutes: must be a finite number > 0; got 0"),
    ("--max-minutes", "nan", "argument --max-minutes: must be a finite number > 0; got nan"),
    ("--lr-patience", "-1", "argument --lr-patience: must be an integer >= 0; got -1"),
    ("--orbit-training", "some", "argument --orbit-training: invalid choice: 'some'"),
])
def test_cli_train_refuses_bad_budget_options(tmp_path, capsys, option, value, message):
    with pytest.raises(SystemExit) as exc:
        main(["train", "photonic_inv", "--out", str(tmp_path / "run"), option, value])
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_cli_train_passes_budget_schedule_and_orbit_training(tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(train_module, "train", lambda *args, **kwargs: calls.append(kwargs) or
                        SimpleNamespace(metrics={"mae": 0.1}))
    assert main(["train", "photonic_inv", "--out", str(tmp_path / "run"), "--max-minutes", "1.5",
                 "--lr-patience", "4", "--orbit-training", "sample"]) == 0
    (kwargs,) = calls
    assert (kwargs["settings"].max_minutes, kwargs["settings"].lr_patience) == (1.5, 4)
    assert kwargs["orbit_training"] == "sample"
    assert main(["train", "photonic_inv", "--out", str(tmp_path / "run2")]) == 0
    assert calls[1]["settings"] == TrainSettings() and "orbit_training" not in calls[1]  # the model's own
    capsys.readouterr()


def test_evaluate_by_group_scores_each_group_as_its_own_test_set(rng):
    model = small_model()
    x = rng.uniform(1, 20, size=(12, 8, 8, 1)).astype("float32")
    data = Arrays(x, rng.uniform(0, 0.3, size=(12, 1)).astype("float32"))
    labels = np.array(["ring", "circle", "ring"] * 4)
    scores = evaluate_by_group(model, data, PHOTONIC, labels)
    assert list(scores) == ["circle", "ring"]
    for label, metrics in scores.items():
        assert metrics == pytest.approx(evaluate_arrays(model, data.subset(labels == label), PHOTONIC))
    with pytest.raises(ValueError, match=r"one group label per example, shape \(12,\); got \(11,\)"):
        evaluate_by_group(model, data, PHOTONIC, labels[:11])


def generated_cells(rng, n, family=True):
    """A tiny stand-in for `keras-imnn generate photonic --config general` output."""
    eps = rng.uniform(1, 20, size=(n, 32, 32)).astype("float32")
    cells = {"eps": eps, "tm_gap": np.where(eps.mean(axis=(1, 2)) > 10.5, 0.05, 0.0), "tm_midgap": np.full(n, 0.4)}
    if family:
        cells["family"] = np.arange(n) % 3  # sibcl, gapped, circle
    return cells


def test_checkpoint_script_records_budget_time_orbit_training_and_family_metrics(rng, tmp_path):
    from keras_imnn.training.checkpoints import main as train_checkpoints

    np.savez(tmp_path / "cells.npz", **generated_cells(rng, 60))
    train_checkpoints(["photonic", "--npz", str(tmp_path / "cells.npz"), "--n-test", "20", "--n-validation", "10",
                       "--models", "photonic_inv", "--weights-dir", str(tmp_path / "w"), "--epochs", "3",
                       "--max-minutes", "1e-6", "--lr-patience", "1", "--orbit-training", "sample"])
    entry = json.loads((tmp_path / "w" / "manifest.json").read_text())["photonic_inv"]
    assert entry["epochs_run"] == 1  # the first epoch ends past a budget of 60 µs
    assert isinstance(entry["wall_minutes"], float) and 0 <= entry["wall_minutes"] < 10
    assert entry["config"]["orbit_training"] == "sample"
    by_family = entry["test_metrics_by_family"]
    assert list(by_family) == ["circle", "gapped", "sibcl"]  # test = cells 0..19: all three families
    assert all(set(m) == set(entry["test_metrics"]) for m in by_family.values())
    keras_imnn.load("photonic_inv", weights_dir=tmp_path / "w")  # sha256 and config verified


@pytest.mark.parametrize("option", [["--epochs", "0"], ["--patience", "-1"], ["--batch-size", "0"], ["--seed", "-1"]])
def test_checkpoint_script_refuses_bad_numbers_before_reading_data(option, capsys):
    from keras_imnn.training.checkpoints import main as train_checkpoints

    with pytest.raises(SystemExit) as exc:
        train_checkpoints(["photonic", "--npz", "/no/such.npz", *option])
    assert exc.value.code == 2 and f"argument {option[0]}: must be" in capsys.readouterr().err


@pytest.mark.parametrize("source", ["npz", "npz_dir", "no family", "magnet"])
def test_family_of_test_cells_comes_from_the_test_split_of_the_files(rng, tmp_path, source):
    from keras_imnn.training.checkpoints import family_of_test_cells

    cells = generated_cells(rng, 6, family=source != "no family")
    np.savez(tmp_path / "cells.npz", **cells)
    np.savez(tmp_path / "test.npz", **cells)
    args = argparse.Namespace(task="magnet" if source == "magnet" else "photonic", n_test=4,
                              npz=None if source == "npz_dir" else str(tmp_path / "cells.npz"),
                              npz_dir=str(tmp_path) if source == "npz_dir" else None)
    expected = {"npz": ["sibcl", "gapped", "circle", "sibcl"],
                "npz_dir": ["sibcl", "gapped", "circle", "sibcl", "gapped", "circle"]}.get(source)
    families = family_of_test_cells(args)
    assert (families if families is None else families.tolist()) == expected



def test_checkpoint_script_starts_from_initial_weights_and_records_them(rng, tmp_path):
    """A warm start (e.g. the gapped flagship retrained on general cells) trains on from the given weights."""
    from keras_imnn.models.registry import sha256
    from keras_imnn.training.checkpoints import main as train_checkpoints

    start = small_model()
    start.save_weights(tmp_path / "start.weights.h5")
    np.savez(tmp_path / "cells.npz", **generated_cells(rng, 30))
    x = rng.uniform(1, 20, size=(4, 8, 8, 1)).astype("float32")
    # A learning rate of 1e-12 keeps the weights where they started: the trained model is the initial one.
    zeros = Arrays(x, np.zeros((4, 1), "float32"))
    result = train_module.train_on("photonic_inv_dilated", TaskData(zeros, None, zeros, PHOTONIC),
                                   initial_weights=tmp_path / "start.weights.h5",
                                   settings=TrainSettings(epochs=1, learning_rate=1e-12, verbose=0),
                                   input_shape=(8, 8, 1), filters=4)
    np.testing.assert_allclose(result.model.predict(x, verbose=0), start.predict(x, verbose=0), rtol=1e-5)
    assert result.info["initial_weights"] == str(tmp_path / "start.weights.h5")

    train_checkpoints(["photonic", "--npz", str(tmp_path / "cells.npz"), "--n-test", "10", "--n-validation", "5",
                       "--models", "photonic_inv", "--weights-dir", str(tmp_path / "w"), "--epochs", "1"])
    first = tmp_path / "w" / "photonic_inv" / "model.weights.h5"
    (tmp_path / "first.weights.h5").write_bytes(first.read_bytes())
    train_checkpoints(["photonic", "--npz", str(tmp_path / "cells.npz"), "--n-test", "10", "--n-validation", "5",
                       "--models", "photonic_inv", "--weights-dir", str(tmp_path / "w"), "--epochs", "1",
                       "--initial-weights", str(tmp_path / "first.weights.h5")])
    entry = json.loads((tmp_path / "w" / "manifest.json").read_text())["photonic_inv"]
    assert entry["initial_weights"] == {"file": "first.weights.h5", "sha256": sha256(tmp_path / "first.weights.h5")}


def test_checkpoint_script_reports_a_missing_data_file_in_one_line(tmp_path):
    import subprocess
    import sys

    missing = tmp_path / "nope.npz"
    done = subprocess.run([sys.executable, "-m", "keras_imnn.training.checkpoints", "photonic", "--npz", str(missing),
                           "--models", "photonic_inv", "--weights-dir", str(tmp_path / "w")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == f"checkpoints: error: no such data file: {missing}"
    assert not (tmp_path / "w").exists()


def test_early_stopping_can_watch_a_metric_instead_of_the_loss(rng, monkeypatch):
    """monitor="mae": the best epoch by validation MAE is restored; an unknown name is refused, not ignored."""
    train, validation = diverging(rng)
    history = train_module.fit(small_model(), train, validation, task=PHOTONIC,
                               settings=TrainSettings(epochs=3, patience=10, monitor="mae", verbose=0))
    assert len(history.history["val_mae"]) == 3
    callbacks = train_module.training_callbacks("val_mae", TrainSettings(monitor="mae", lr_patience=1))
    assert {c.monitor for c in callbacks if hasattr(c, "monitor")} == {"val_mae"}
    with pytest.raises(ValueError, match="monitor must be one of loss, mae for the photonic task; got 'r2'"):
        train_module.fit(small_model(), train, validation, task=PHOTONIC, settings=TrainSettings(monitor="r2"))
    assert TrainSettings(monitor="mae").record()["monitor"] == "mae" and "monitor" not in TrainSettings().record()


def test_every_setting_is_an_option_of_every_training_command_and_reaches_finetune(tmp_path, monkeypatch):
    from dataclasses import fields

    import keras

    from keras_imnn.cli import build_parser
    from keras_imnn.training.loop import finetune as finetune_module

    given = {"--epochs": "7", "--batch-size": "5", "--learning-rate": "0.01", "--patience": "3", "--seed": "4",
             "--max-minutes": "1.5", "--lr-patience": "2", "--monitor": "mae", "--validate-every": "6"}
    assert set(given) == {f"--{f.name.replace('_', '-')}" for f in fields(TrainSettings) if f.name != "verbose"}
    expected = TrainSettings(epochs=7, batch_size=5, learning_rate=0.01, patience=3, seed=4, max_minutes=1.5,
                             lr_patience=2, monitor="mae", validate_every=6)
    options = [a for pair in given.items() for a in pair]
    for command in (["train", "photonic_inv"], ["finetune", "photonic_inv", "--data", "d.npz"]):
        args = build_parser().parse_args([*command, *options, "--out", "o"])
        assert TrainSettings.from_args(args) == expected
    from keras_imnn.training.checkpoints import main as checkpoints

    seen = []
    monkeypatch.setattr("keras_imnn.training.checkpoints.task_data_from_args",
                        lambda args, *a, **k: seen.append(TrainSettings.from_args(args)) or stop())
    with pytest.raises(KeyboardInterrupt):
        checkpoints(["photonic", *options])
    assert seen == [expected]
    # finetune(settings=...) and finetune(**options) reach fit whole: monitor, lr_patience, validate_every too.
    monkeypatch.setattr(finetune_module, "fit", lambda *a, settings, **k: seen.append(settings) or stop())
    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(1, name="output")])
    x, y = np.ones((6, 4, 4, 1), "float32"), np.ones((6, 1), "float32")
    with pytest.raises(KeyboardInterrupt):
        keras_imnn.finetune(model, x, y, task="photonic", settings=expected)
    with pytest.raises(KeyboardInterrupt):
        keras_imnn.finetune(model, x, y, task="photonic", monitor="mae", validate_every=6)
    assert seen[1] == expected
    assert (seen[2].epochs, seen[2].patience, seen[2].monitor, seen[2].validate_every) == (100, 10, "mae", 6)
    with pytest.raises(TypeError, match=r"unknown options \['epoch'\]"):
        keras_imnn.finetune(model, x, y, task="photonic", epoch=3)


def stop(*args, **kwargs):
    raise KeyboardInterrupt  # not an Exception: nothing on the way catches it
