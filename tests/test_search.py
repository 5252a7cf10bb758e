"""Architecture search (keras_imnn.search, `keras-imnn nas`): tiny searches on 8×8 cells."""
import json

import keras
import numpy as np
import pytest
from test_models import assert_invariant, float64_models

import keras_imnn
from keras_imnn.arrays import Arrays
from keras_imnn.cli import main
from keras_imnn.layers import PeriodicConv2D
from keras_imnn.search.space import SearchSpace, distinct_dilations, largest_distinct_dilation
from keras_imnn.search.tuner import best_distinct
from keras_imnn.tasks import TASKS
from keras_imnn.training.data.task_data import TaskData
from keras_imnn.training.settings import TrainSettings

SPACE = {"max_layers": 2, "widths": (4, 6), "kernel_sizes": (3,)}
FAST = {"settings": TrainSettings(epochs=1, patience=5, batch_size=16), "seeds": (0, 1), "verbose": 0}


def symmetric_cells(rng, n, size=8):
    """Cells invariant under D4 about the cell centre (as the photonic `gapped` cells), with an
    invariant target: orbit averaging is the identity on them, so trials train the cheap twin."""
    ring = np.minimum(np.arange(size), size - 1 - np.arange(size))
    outer, inner = np.maximum.outer(ring, ring), np.minimum.outer(ring, ring)
    x = rng.uniform(1, 20, size=(n, size, size)).astype("float32")[:, outer, inner][..., None]
    return Arrays(x, (x.mean(axis=(1, 2, 3)) / 10.0 - 1.0)[:, None].astype("float32"))


def is_png(path):
    return path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bayesian_search_averages_seeds_and_every_trial_is_invariant(rng, tmp_path, monkeypatch):
    from keras_imnn.search import tuner as tuner_module

    trained = []
    train_on = tuner_module.train_on
    monkeypatch.setattr(tuner_module, "train_on", lambda *a, **k: trained.append(k) or train_on(*a, **k))
    data = symmetric_cells(rng, 40)
    train, val = data.subset(np.arange(32)), data.subset(np.arange(32, 40))
    result = keras_imnn.search.dilations(train, val, base="photonic_inv_dilated", budget=3, algorithm="bayesian",
                                         out=tmp_path, **SPACE, **FAST)
    space = SearchSpace(max_layers=2, max_dilation=largest_distinct_dilation(8, 8), widths=(4, 6), kernel_sizes=(3,))
    assert len(result.trials) == 3 and all(t["status"] == "COMPLETED" for t in result.trials)
    # Each distinct configuration trains once per seed; a repeated proposal reuses its measurement.
    stacks = {json.dumps(t["overrides"], sort_keys=True) for t in result.trials}
    assert len(trained) == 2 * len(stacks) and {k["settings"].seed for k in trained} == {0, 1}
    for t in result.trials:
        assert space.contains(t["overrides"]), t["overrides"]
        per_seed = [t["per_seed"]["0"], t["per_seed"]["1"]]
        assert t["objective"] == pytest.approx(np.mean(per_seed)) and t["std"] == pytest.approx(np.std(per_seed))
        assert t["epochs"] == 1 and t["epochs_run"] == {"0": 1, "1": 1}
    assert any(t["per_seed"]["0"] != t["per_seed"]["1"] for t in result.trials)  # two real trainings
    best = min(t["objective"] for t in result.trials)
    assert result.top[0]["objective"] == best and result.best_overrides == result.top[0]["overrides"]

    saved = json.loads((tmp_path / "search.json").read_text())
    assert saved["objective"] == {"name": "validation mae", "direction": "min", "seeds": [0, 1]}
    assert saved["trials"] == json.loads(json.dumps(result.trials)) and saved["n_train"] == 32
    assert saved["start"] is None  # the base's [1, 2, 4, 8] w32 is not in this 2-layer space
    assert is_png(tmp_path / "search.png")

    # Each trial is the base model with the trial's stack: exactly D4- and shift-invariant.
    x = rng.uniform(1, 20, size=(2, 8, 8, 1))
    with float64_models():
        for t in result.trials:
            model = keras_imnn.load("photonic_inv_dilated", pretrained=False, input_shape=(8, 8, 1), **t["overrides"])
            assert model.get_layer("group_average").group == "d4"
            assert_invariant(model, x, "d4", shifts=[(1, 3)])

    # Resuming a finished search trains nothing; resuming with other settings is refused.
    again = keras_imnn.search.dilations(train, val, base="photonic_inv_dilated", budget=3, algorithm="bayesian",
                                        out=tmp_path, resume=True, **SPACE, **FAST)
    assert again.trials == result.trials
    with pytest.raises(ValueError, match=r"other \['seeds'\]"):
        keras_imnn.search.dilations(train, val, base="photonic_inv_dilated", budget=3, algorithm="bayesian",
                                    out=tmp_path, resume=True, **SPACE, **{**FAST, "seeds": (0, 2)})


def test_cli_hyperband_search_then_retrain_winner(rng, tmp_path, capsys):
    cells = symmetric_cells(rng, 40)
    npz = tmp_path / "cells.npz"
    gap = np.clip(cells.y[:, 0] + 0.2, 0, None)
    np.savez(npz, eps=cells.x[..., 0], tm_gap=gap, tm_midgap=np.ones(40), te_gap=gap, te_midgap=np.ones(40))
    out = tmp_path / "nas"
    assert main(["nas", "photonic_inv_dilated", "--npz", str(npz), "--n-test", "8", "--n-validation", "8",
                 "--n-train", "16", "--budget", "2", "--algorithm", "hyperband", "--epochs", "3",
                 "--patience", "5", "--batch-size", "16", "--max-layers", "2", "--widths", "4",
                 "--kernel-sizes", "3", "--retrain-top", "1", "--retrain-seeds", "0", "1", "2",
                 "--retrain-epochs", "1", "--no-baselines", "--out", str(out)]) == 0
    search = json.loads((out / "search.json").read_text())
    assert search["algorithm"] == "hyperband" and search["n_train"] == 16 and len(search["trials"]) == 2
    # max_epochs 3, factor 3: the first bracket trains for 1 epoch, as Hyperband's `tuner/epochs` says.
    assert all(t["epochs"] == 1 and t["epochs_run"] == {"0": 1, "1": 1} for t in search["trials"])
    runs = json.loads((out / "retrain" / "comparison.json").read_text())
    # The winner and the authors' [1, 2, 3] stack (the zoo's is [1, 2, 4, 8]), 3 seeds each.
    assert sorted(r["seed"] for r in runs) == [0, 0, 1, 1, 2, 2] and {r["n_train"] for r in runs} == {16}
    assert {r["variant"] for r in runs} == {"nas #1 d={} w=4 k=3{}".format(
        search["top"][0]["overrides"]["dilations"], " res" if search["top"][0]["overrides"]["residual"] else ""),
        "photonic_inv_dilated [1, 2, 3]"}
    table = (out / "retrain" / "comparison.md").read_text()
    assert "| nas #1" in table and " ± " in table
    assert is_png(out / "search.png") and is_png(out / "retrain" / "comparison.png")
    assert "| nas #1" in capsys.readouterr().out
    # --retrain-only reads search.json and resumes the re-training: all six runs are done already. With other
    # training options it refuses (runs of 60 epochs must not be stood in for by these of 1).
    retrain = ["nas", "photonic_inv_dilated", "--npz", str(npz), "--n-test", "8", "--n-validation", "8",
               "--n-train", "16", "--retrain-only", "--retrain-top", "1", "--no-baselines", "--out", str(out)]
    assert main([*retrain, "--patience", "5", "--batch-size", "16", "--retrain-epochs", "1"]) == 0
    assert json.loads((out / "retrain" / "comparison.json").read_text()) == runs
    capsys.readouterr()
    assert main(retrain) == 2
    assert "trained with other settings" in capsys.readouterr().err
    assert json.loads((out / "retrain" / "comparison.json").read_text()) == runs


def test_compare_trains_winners_next_to_the_zoo_baselines(monkeypatch, tmp_path):
    from keras_imnn.search import results

    record = {"base": "magnet_inv_dilated", "task": "classification", "algorithm": "bayesian", "n_train": 50,
              "fixed_overrides": {"input_shape": [4, 4, 1], "group": "d4"},
              "top": [{"overrides": {"dilations": [1, 2], "filters": 8, "kernel_size": 3, "residual": True}},
                      {"overrides": {"dilations": [2], "filters": 4, "kernel_size": 5, "residual": False}}]}
    (tmp_path / "search.json").write_text(json.dumps(record))
    trained = []

    def fake_run_variants(variants, data, *, sizes, seeds, **kwargs):
        trained.extend(variants)
        return [{"variant": v[0], "n_train": sizes[0], "seed": s, "epochs_run": 1,
                 "test_metrics": {"accuracy": 0.5 + 0.01 * s, "sign_overlap": 0.9}} for v in variants for s in seeds]

    monkeypatch.setattr(results, "run_variants", fake_run_variants)
    arrays = Arrays(np.zeros((4, 4, 4, 1), "float32"), np.zeros((4, 1), "float32"))
    data = TaskData(arrays, arrays, arrays, TASKS["magnet"])
    comparison = keras_imnn.search.compare(tmp_path, data, top=1, out=tmp_path / "cmp")
    labels = [v[0] for v in trained]
    # The zoo's magnet_inv_dilated is [1, 2, 4, 8], so the authors' [1, 2, 3] stack runs too.
    assert labels == ["nas #1 d=[1, 2] w=8 k=3 res", "magnet_inv_dilated [1, 2, 3]", "magnet_dense", "magnet_cnn",
                      "magnet_cnn + aug", "magnet_inv", "magnet_inv_dilated"]
    by_label = {v[0]: v for v in trained}
    assert by_label["nas #1 d=[1, 2] w=8 k=3 res"][3] == {"input_shape": (4, 4, 1), "group": "d4",
                                                          "dilations": [1, 2], "filters": 8, "kernel_size": 3,
                                                          "residual": True}
    # The invariant baselines share the search's group; the others only take the data's shape.
    assert by_label["magnet_inv_dilated"][3] == {"input_shape": (4, 4, 1), "group": "d4"}
    assert by_label["magnet_inv_dilated [1, 2, 3]"][3] == {"input_shape": (4, 4, 1), "group": "d4",
                                                          "dilations": (1, 2, 3)}
    assert by_label["magnet_cnn + aug"][2] is True and by_label["magnet_cnn"][3] == {"input_shape": (4, 4, 1)}
    assert "| magnet_inv_dilated | 50 | 3 | 0.5100 ± 0.0082 | 0.9000 ± 0.0000 |" in comparison.table
    assert [line.split(" | ")[0][2:] for line in comparison.table.splitlines()[2:]] == labels  # as run
    assert (tmp_path / "cmp" / "comparison.md").read_text() == comparison.table
    assert is_png(tmp_path / "cmp" / "comparison.png")
    with pytest.raises(ValueError, match="at least 3 distinct seeds"):
        keras_imnn.search.compare(tmp_path, data, seeds=(0, 1))
    # Where the base already is the hand-picked stack, it is not trained twice.
    trained.clear()
    with monkeypatch.context() as hand_picked:
        hand_picked.setattr(results, "HAND_PICKED", (1, 2, 4, 8))
        keras_imnn.search.compare(tmp_path, data, top=1, baselines=False)
    assert [v[0] for v in trained] == ["nas #1 d=[1, 2] w=8 k=3 res"]
    record.update(base="photonic_inv_dilated", task="regression", fixed_overrides={"input_shape": [4, 4, 1]})
    (tmp_path / "search.json").write_text(json.dumps(record))
    trained.clear()
    monkeypatch.setattr(results, "summarize", lambda runs, task, order=(): ("", {}))
    monkeypatch.setattr(results, "plot_bars", lambda *a, **k: None)
    keras_imnn.search.compare(tmp_path, data, top=1, baselines=False)
    assert [(v[0], v[3].get("dilations")) for v in trained][1:] == [("photonic_inv_dilated [1, 2, 3]", (1, 2, 3))]
    # A winner that is the base's own stack is trained once, named for both; the zoo row is not repeated.
    record["top"].insert(0, {"overrides": {"dilations": [1, 2, 4, 8], "filters": 32, "kernel_size": 3,
                                           "residual": False}})
    (tmp_path / "search.json").write_text(json.dumps(record))
    trained.clear()
    keras_imnn.search.compare(tmp_path, data, top=2)
    assert [v[0] for v in trained] == [
        "nas #1 d=[1, 2, 4, 8] w=32 k=3 = photonic_inv_dilated", "nas #2 d=[1, 2] w=8 k=3 res",
        "photonic_inv_dilated [1, 2, 3]", "photonic_cnn", "photonic_cnn + aug", "photonic_inv"]


def test_search_starts_at_the_base_models_own_stack(rng, tmp_path):
    # keras-tuner draws its first points at random; the first trial here must be photonic_inv_dilated's
    # [1, 2, 4, 8] w32 k3 (16×16 cells: dilation 8 is in the space), then the search moves on.
    data = symmetric_cells(rng, 24, size=16)
    train, val = data.subset(np.arange(16)), data.subset(np.arange(16, 24))
    own = {"dilations": [1, 2, 4, 8], "filters": 32, "kernel_size": 3, "residual": False}
    for algorithm in ("bayesian", "hyperband"):
        result = keras_imnn.search.dilations(train, val, base="photonic_inv_dilated", budget=2, algorithm=algorithm,
                                             max_layers=4, widths=(16, 32), kernel_sizes=(3,), out=tmp_path / algorithm,
                                             **FAST)
        assert result.record["start"] == own and result.trials[0]["overrides"] == own
        assert result.trials[1]["overrides"] != own and is_png(result.paths["plot"])


def test_space_hyperparameters_map_to_model_overrides():
    space = SearchSpace(max_layers=3, max_dilation=4, widths=(32, 16, 16), kernel_sizes=(5, 3))
    assert space.widths == (16, 32) and space.kernel_sizes == (3, 5)
    hp = space.hyperparameters()
    hp.values.update(num_layers=2, dilation_0=3, dilation_1=1, filters=32, kernel_size=5, residual=True)
    assert [p.name for p in hp.space if hp.is_active(p)] == ["num_layers", "dilation_0", "dilation_1", "filters",
                                                            "kernel_size", "residual"]
    overrides = space.overrides(hp.values)
    assert overrides == {"dilations": [3, 1], "filters": 32, "kernel_size": 5, "residual": True}
    assert space.contains(overrides) and not space.contains({**overrides, "dilations": [5]})
    assert space.values(overrides) == {k: hp.values[k] for k in hp.values if hp.is_active(k)}
    with pytest.raises(ValueError, match="not a point of the search space"):
        space.values({**overrides, "filters": 8})
    assert largest_distinct_dilation(32, 32) == 16 and largest_distinct_dilation(6, 4) == 6


def periodic_conv_output(x, kernel, dilation):
    conv = PeriodicConv2D(kernel.shape[-1], kernel.shape[0], dilation_rate=dilation, use_bias=False)
    conv.build(x.shape)
    conv.set_weights([kernel])
    return keras.ops.convert_to_numpy(conv(x))


@pytest.mark.parametrize("d,alias,flip", [
    (7, 5, (0, 1)),  # 7 = lcm(6, 4) − 5: both axes mirrored; beyond the lcm bound
    (5, 1, (0,)),    # 5 ≡ −1 mod 6, 5 ≡ 1 mod 4: mirrored along H only; inside the bound
])
def test_aliased_dilations_are_one_convolution_with_a_flipped_kernel(rng, d, alias, flip):
    x = rng.normal(size=(2, 6, 4, 1)).astype("float32")
    kernel = rng.normal(size=(3, 3, 1, 2)).astype("float32")
    np.testing.assert_allclose(periodic_conv_output(x, kernel, d),
                               periodic_conv_output(x, np.flip(kernel, axis=flip).copy(), alias), rtol=1e-5, atol=1e-6)


def test_distinct_dilations_keep_one_per_class():
    assert distinct_dilations(6, 4, 6) == (1, 2, 3, 4, 6)  # 6 → (0, 2): taps stacked along H, not an alias of 2
    assert distinct_dilations(32, 32, 16) == tuple(range(1, 17))
    space = SearchSpace(max_layers=2, max_dilation=6, widths=(8,), kernel_sizes=(3,), lattice=(6, 4))
    assert space.hyperparameters().get("dilation_0") == 1 and space.dilation_choices == (1, 2, 3, 4, 6)
    assert space.contains({"dilations": [6, 4], "filters": 8, "kernel_size": 3, "residual": False})
    assert not space.contains({"dilations": [5], "filters": 8, "kernel_size": 3, "residual": False})


def test_best_distinct_keeps_the_longest_trained_trial_of_a_configuration():
    cfg_a, cfg_b = {"dilations": [1]}, {"dilations": [2]}
    trials = [{"status": "COMPLETED", "overrides": cfg_a, "epochs": 1, "objective": 0.1},
              {"status": "COMPLETED", "overrides": cfg_b, "epochs": 3, "objective": 0.2},
              {"status": "COMPLETED", "overrides": cfg_a, "epochs": 3, "objective": 0.3},
              {"status": "FAILED", "overrides": cfg_b}]
    assert [(t["overrides"], t["objective"]) for t in best_distinct(trials, "min", 5)] == [(cfg_b, 0.2), (cfg_a, 0.3)]
    assert [t["objective"] for t in best_distinct(trials, "max", 1)] == [0.3]


@pytest.mark.parametrize("kwargs,match", [
    ({"max_dilation": 0}, "max_dilation must be an int >= 1"),
    ({"max_dilation": 5}, r"exceeds 4 = lcm\(8, 8\) // 2"),
    ({"max_layers": 0}, "max_layers must be an int >= 1"),
    ({"algorithm": "random"}, "algorithm must be one of"),
    ({"budget": 0}, "budget must be an int >= 1"),
    ({"seeds": (3, 3)}, "at least 2 distinct seeds"),
    ({"widths": ()}, "widths must be a non-empty list"),
    ({"kernel_sizes": (4,)}, "kernel_sizes must be odd"),
    ({"base": "photonic_cnn"}, "invariant zoo model"),
    ({"base": "photonic_inv_dilatd"}, "unknown model"),
    ({"dilations": [1, 2]}, "set by the search"),
    ({"resume": True}, "no search to resume"),
])
def test_bad_arguments_fail_before_training(kwargs, match, rng, tmp_path):
    data = symmetric_cells(rng, 8)
    kwargs = {"base": "photonic_inv_dilated", "out": tmp_path, **kwargs}
    with pytest.raises((ValueError, FileNotFoundError), match=match):
        keras_imnn.search.dilations(data, data, **kwargs)


@pytest.mark.parametrize("train,val,base,match", [
    (lambda d: (d.x[:, :, :, 0, None, None], d.y), lambda d: d, "photonic_inv_dilated", r"\(n, H, W\)"),
    (lambda d: (d.x[:, :, :6], d.y), lambda d: d, "photonic_inv_dilated", "needs a square input"),
    (lambda d: d, lambda d: (d.x[:, :4, :4], d.y), "photonic_inv_dilated", r"x must have shape \(n, 8, 8, 1\)"),
    (lambda d: (d.x, d.y[:3]), lambda d: d, "photonic_inv_dilated", "y must have shape"),
    (lambda d: d, lambda d: d, "magnet_inv_dilated", "must be 0 or 1"),
    (lambda d: [d.x, d.y], lambda d: d, "photonic_inv_dilated", r"Arrays or an \(x, y\) tuple"),
])
def test_bad_data_fails_clearly(train, val, base, match, rng):
    data = symmetric_cells(rng, 8)
    with pytest.raises(ValueError, match=match):
        keras_imnn.search.dilations(train(data), val(data), base=base)


def test_cli_bad_input_is_one_line(tmp_path, capsys):
    assert main(["nas", "photonic_inv_dilated", "--npz", str(tmp_path / "none.npz"), "--out", str(tmp_path)]) == 2
    assert "no such data file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # a usage error, as for every count option
        main(["nas", "photonic_inv_dilated", "--n-train", "0", "--out", str(tmp_path)])
    assert exc.value.code == 2 and "argument --n-train: must be an integer >= 1; got 0" in capsys.readouterr().err
    assert main(["nas", "photonic_inv_dilated", "--retrain-only", "--out", str(tmp_path)]) == 2
    assert "--retrain-only needs --retrain-top K" in capsys.readouterr().err


def test_cli_shares_the_training_options_with_its_own_meanings(capsys):
    with pytest.raises(SystemExit):
        main(["nas", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "epochs per trial (Hyperband: its max_epochs; default: 60)" in text
    assert "seed of the search and of the training subset" in text
    assert "Adam's initial learning rate" in text  # the shared help where nas means the same
    with pytest.raises(SystemExit) as exc:
        main(["nas", "photonic_inv_dilated", "--learning-rate", "nan", "--out", "x"])
    assert exc.value.code == 2 and "--learning-rate: must be a finite number > 0" in capsys.readouterr().err


def test_training_options_refuse_help_for_an_option_they_do_not_add():
    import argparse

    from keras_imnn.training.settings import add_settings_options

    with pytest.raises(ValueError, match=r"no field \['epoch'\]"):
        add_settings_options(argparse.ArgumentParser(), helps={"epoch": "typo"})


def test_cli_default_n_train_is_the_tasks_data_scarce_size(rng, tmp_path, monkeypatch, capsys):
    from types import SimpleNamespace

    from keras_imnn.search import tuner

    seen = {}
    monkeypatch.setattr(tuner, "dilations", lambda train, validation, **kwargs: seen.update(n=len(train)) or
                        SimpleNamespace(top=[], paths={}, record={"start": None}))
    cells = symmetric_cells(rng, 500)
    npz = tmp_path / "cells.npz"
    ones = np.ones(500)
    np.savez(npz, eps=cells.x[..., 0], tm_gap=ones, tm_midgap=ones, te_gap=ones, te_midgap=ones)
    assert main(["nas", "photonic_inv_dilated", "--npz", str(npz), "--n-test", "50", "--n-validation", "10",
                 "--out", str(tmp_path / "nas")]) == 0
    assert seen["n"] == 400  # of a 440-cell training pool
