"""Reliability, round two: each fault a careless or hostile user found is refused in one line before any work, or
answered right; nothing is lost."""
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import keras_imnn
import keras_imnn.atomic as atomic

# Imported before any test patches a function they bind at import (ed binds make_lattice, signs ground_state).
import keras_imnn.physics.magnet.representatives  # noqa: F401
import keras_imnn.physics.magnet.signs  # noqa: F401
import keras_imnn.training.commands as commands_module
from keras_imnn.cli import main
from keras_imnn.domain import DomainWarning
from keras_imnn.physics import memory
from keras_imnn.physics.photonic import solver
from keras_imnn.training.loop.finetune import finetune
from keras_imnn.training.loop.train import save_run


def tiny_photonic():
    return keras_imnn.load("photonic_inv_dilated", pretrained=False, input_shape=(8, 8, 1), filters=4)


def tiny_magnet():
    return keras_imnn.load("magnet_inv", pretrained=False, filters=4)


def cells(rng, n=8):
    return rng.uniform(1, 20, size=(n, 8, 8)).astype("float32")


def one_line_error(capsys, command: str) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"keras-imnn {command}: error: "), err
    return last


def no_work(*args, **kwargs):
    raise AssertionError("the fault must be refused before any work")


# --- tracebacks -------------------------------------------------------------------------------------------------

def test_predicting_an_empty_batch_gives_an_empty_answer():
    model = tiny_photonic()
    assert model.predict(np.zeros((0, 8, 8), "float32"), verbose=0).shape == (0, 1)
    model.compile(loss="mse")
    with pytest.raises(ValueError, match="0 examples"):
        model.evaluate(np.zeros((0, 8, 8), "float32"), np.zeros((0, 1)), verbose=0)


@pytest.mark.parametrize("record", [[1, 2], "photonic", 3])
def test_run_json_of_another_shape_is_one_line(record, tmp_path, capsys):
    save_run(tmp_path / "run", tiny_photonic(), {"model": "photonic_inv_dilated", "task": "photonic"}, {})
    (tmp_path / "run" / "run.json").write_text(json.dumps(record))
    np.savez(tmp_path / "d.npz", x=np.full((4, 8, 8), 2.0), y=np.zeros(4))
    assert main(["evaluate", str(tmp_path / "run"), "--data", str(tmp_path / "d.npz")]) == 2
    assert "JSON" in one_line_error(capsys, "evaluate")


def test_run_json_edited_to_another_task_is_refused(tmp_path, capsys):
    save_run(tmp_path / "run", tiny_photonic(), {"model": "photonic_inv_dilated", "task": "magnet"}, {})
    np.savez(tmp_path / "d.npz", x=np.full((4, 8, 8), 2.0), y=np.zeros(4))
    assert main(["evaluate", str(tmp_path / "run"), "--data", str(tmp_path / "d.npz")]) == 2
    assert "edited" in one_line_error(capsys, "evaluate")


@pytest.mark.parametrize("lattice, shape", [("square", ("10", "10")), ("square", ("20", "20")),
                                            ("square", ("100", "100")), ("kagome", ("4", "4"))])
def test_huge_magnet_shapes_are_refused_before_any_lattice(lattice, shape, tmp_path, capsys, monkeypatch):
    import keras_imnn.physics.magnet.lattices as lattices

    monkeypatch.setattr(lattices, "make_lattice", no_work)
    argv = ["generate", "magnet", "--lattice", lattice, "--j2", "0.5", "--shape", *shape, "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    assert "spins" in one_line_error(capsys, "generate")


def test_finetune_refuses_a_head_wider_than_the_labels(rng):
    x = cells(rng)
    with pytest.raises(ValueError, match="n_outputs=1"):
        finetune(tiny_photonic(), x, x.mean(axis=(1, 2)), n_outputs=3, epochs=1, verbose=0)


@pytest.mark.parametrize("n_outputs", [0, -1, 1.5])
def test_finetune_refuses_a_non_positive_width(n_outputs, rng):
    x = cells(rng)
    with pytest.raises(ValueError, match="n_outputs must be a positive integer"):
        finetune(tiny_photonic(), x, x.mean(axis=(1, 2)), n_outputs=n_outputs, epochs=1, verbose=0)


# --- hangs and runaway memory -----------------------------------------------------------------------------------

def test_finetune_refuses_an_infinite_dataset(rng):
    import tensorflow as tf

    x = cells(rng)
    ds = tf.data.Dataset.from_tensor_slices((x, x.mean(axis=(1, 2)))).batch(4).repeat()
    with pytest.raises(ValueError, match="infinite"):
        finetune(tiny_photonic(), ds, epochs=1, verbose=0)


def test_finetune_bounds_a_dataset_of_unknown_size(rng, monkeypatch):
    import tensorflow as tf

    import keras_imnn.training.loop.finetune as finetune_module

    monkeypatch.setattr(finetune_module, "MAX_DATASET_BATCHES", 5)
    x = cells(rng)
    ds = tf.data.Dataset.from_tensor_slices((x, x.mean(axis=(1, 2)))).batch(1).repeat().filter(lambda a, b: True)
    assert int(ds.cardinality()) == tf.data.UNKNOWN_CARDINALITY
    with pytest.raises(ValueError, match="more than 5 batches"):
        finetune(tiny_photonic(), ds, epochs=1, verbose=0)


@pytest.mark.parametrize("n", ["10000000000", "100000000"])
def test_generate_photonic_refuses_a_huge_n_from_its_estimate(n, tmp_path, capsys, monkeypatch):
    from keras_imnn.physics.photonic import dataset

    monkeypatch.setattr(dataset, "generate", no_work)
    assert main(["generate", "photonic", "--n", n, "--out", str(tmp_path)]) == 2
    line = one_line_error(capsys, "generate")
    assert "CPU hours" in line or "GB" in line
    assert not list(tmp_path.iterdir())


def test_generate_photonic_memory_estimate_is_checked(tmp_path, capsys, monkeypatch):
    from keras_imnn.physics.photonic import dataset

    monkeypatch.setattr(dataset, "generate", no_work)
    monkeypatch.setenv(memory.ENV_VAR, "0.01")
    assert main(["generate", "photonic", "--n", "10000", "--out", str(tmp_path)]) == 2
    assert "GB" in one_line_error(capsys, "generate")


def test_a_bogus_split_is_refused_before_building(monkeypatch, tmp_path, capsys):
    import tensorflow_datasets as tfds

    monkeypatch.setattr(tfds, "load", no_work)
    argv = ["evaluate", "photonic_inv", "--dataset", "photonic_crystals/gapped", "--split", "bogus",
            "--data-dir", str(tmp_path)]
    monkeypatch.setattr(commands_module, "load_model_or_name", lambda name: tiny_photonic())
    assert main(argv) == 2
    line = one_line_error(capsys, "evaluate")
    assert "bogus" in line and "train" in line


def test_band_structure_memory_guard_runs_before_any_float64_copy(monkeypatch):
    monkeypatch.setattr(solver, "_validate_eps", no_work)
    many = np.broadcast_to(np.full((32, 32), 2.0, np.float32), (2_000_000, 32, 32))  # a view: no memory
    with pytest.raises(memory.MemoryLimitError, match="2000000 cell"):
        solver.band_structure(many, np.zeros((1, 2)), 2, max_memory_gb=1)


# --- silent wrong answers ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("x, match", [
    (np.full((4, 8, 8), -1.0), "ε ≤ 0"),
    (np.zeros((4, 8, 8)), "ε ≤ 0"),
    (np.ones((4, 8, 8), bool), "dtype bool"),
])
def test_finetune_and_evaluate_refuse_physically_invalid_cells(x, match, tmp_path, capsys):
    with pytest.raises(ValueError, match=match):
        finetune(tiny_photonic(), x, np.zeros(4), epochs=1, verbose=0)
    tiny_photonic().save(tmp_path / "m.keras")
    np.savez(tmp_path / "d.npz", x=x, y=np.zeros(4))
    assert main(["evaluate", str(tmp_path / "m.keras"), "--data", str(tmp_path / "d.npz"), "--task",
                 "photonic"]) == 2
    assert match in one_line_error(capsys, "evaluate")


def test_unusual_but_valid_cells_warn_and_still_answer(rng, tmp_path, capsys):
    x = np.full((4, 8, 8), 1e6, "float32")
    x[:, :4] = 2.0
    tiny_photonic().save(tmp_path / "m.keras")
    np.savez(tmp_path / "d.npz", x=x, y=np.zeros(4))
    with pytest.warns(DomainWarning, match="outside"):
        assert main(["evaluate", str(tmp_path / "m.keras"), "--data", str(tmp_path / "d.npz"), "--task",
                     "photonic"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 4


def test_finetune_refuses_spins_other_than_0_and_1():
    spins = np.random.default_rng(0).integers(0, 2, size=(6, 4, 4)) * 2 - 1  # ±1 spins
    with pytest.raises(ValueError, match="0 or 1"):
        finetune(tiny_magnet(), spins, np.zeros(6), epochs=1, verbose=0)


def test_finetune_checks_the_labels_of_a_dataset_as_of_arrays(rng):
    import tensorflow as tf

    x = cells(rng)
    ds = tf.data.Dataset.from_tensor_slices((x, np.full(8, np.nan, "float32"))).batch(4)
    with pytest.raises(ValueError, match="NaN"):
        finetune(tiny_photonic(), ds, epochs=1, verbose=0)
    bad_x = tf.data.Dataset.from_tensor_slices((-x, x.mean(axis=(1, 2)))).batch(4)
    with pytest.raises(ValueError, match="ε ≤ 0"):
        finetune(tiny_photonic(), bad_x, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="empty"):
        finetune(tiny_photonic(), ds.take(0), epochs=1, verbose=0)


@pytest.mark.parametrize("y, match", [
    (np.zeros(1), "n = len\\(x\\) = 50"),          # one label broadcast over 50 cells
    (np.zeros((50, 3)), "3 column"),               # labels wider than the model
    (np.full(50, np.nan), "NaN"),                  # a NaN MAE beside a finite has-gap accuracy
])
def test_evaluate_data_refuses_labels_that_do_not_fit(y, match, tmp_path, capsys):
    tiny_photonic().save(tmp_path / "m.keras")
    np.savez(tmp_path / "d.npz", x=np.full((50, 8, 8), 2.0), y=y)
    assert main(["evaluate", str(tmp_path / "m.keras"), "--data", str(tmp_path / "d.npz"), "--task",
                 "photonic"]) == 2
    assert re_search(match, one_line_error(capsys, "evaluate"))


def re_search(pattern, text):
    import re

    return re.search(pattern, text) is not None


def test_evaluate_data_refuses_magnet_labels_it_would_truncate(tmp_path, capsys):
    tiny_magnet().save(tmp_path / "m.keras")
    spins = np.random.default_rng(0).integers(0, 2, size=(6, 4, 4))
    np.savez(tmp_path / "d.npz", x=spins, y=np.full(6, 0.9))
    assert main(["evaluate", str(tmp_path / "m.keras"), "--data", str(tmp_path / "d.npz"), "--task",
                 "magnet"]) == 2
    assert "0 or 1" in one_line_error(capsys, "evaluate")


def test_train_refuses_more_examples_than_the_dataset_has(monkeypatch):
    from keras_imnn.arrays import Arrays
    from keras_imnn.training.data import task_data

    ten = Arrays(np.ones((10, 8, 8, 1), "float32"), np.zeros((10, 1), "float32"))
    monkeypatch.setattr(task_data, "load_split", lambda dataset, split, **kw: ten)
    monkeypatch.setattr(task_data, "source_lattice", lambda *a, **kw: None)
    with pytest.raises(ValueError, match="n_train 100 exceeds the 10 training examples"):
        task_data.load_task_data("photonic_crystals/gapped", n_train=100)


@pytest.mark.parametrize("command", [["plot", "photonic"], ["demo"],
                                     ["plot", "magnet", "--data", "d.npz"]])
def test_a_picture_path_that_is_a_folder_or_not_png_is_refused(command, tmp_path, capsys):
    for out in (str(tmp_path), str(tmp_path / "picture.txt")):
        with pytest.raises(SystemExit) as exit_:
            main([*command, "--out", out])
        assert exit_.value.code == 2
        assert ".png" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("file", ["/etc/passwd", "../outside.weights.h5", "a/../../outside.weights.h5"])
def test_manifest_files_outside_the_weights_folder_are_refused(file, tmp_path):
    weights = tmp_path / "weights"
    weights.mkdir()
    (tmp_path / "outside.weights.h5").write_bytes(b"x")
    (weights / "manifest.json").write_text(json.dumps({"photonic_inv": {"file": file, "sha256": "0" * 64}}))
    with pytest.raises(ValueError, match="outside the weights folder"):
        keras_imnn.load("photonic_inv", weights_dir=weights)


# --- data loss --------------------------------------------------------------------------------------------------

def test_a_second_writer_of_one_output_is_refused(tmp_path):
    out = tmp_path / "run"
    with atomic.output_lock(out) as lock:
        assert lock.exists()
        with pytest.raises(atomic.OutputLockedError, match=str(os.getpid())):
            with atomic.output_lock(out):
                pass
    assert not lock.exists()
    with atomic.output_lock(out):  # released: a later run takes it
        pass


def test_a_stale_lock_of_a_killed_writer_is_taken_over(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    lock = tmp_path / ".run.lock"
    lock.write_text(dead)
    with atomic.output_lock(tmp_path / "run") as taken:
        assert taken.read_text() == str(os.getpid())


def test_finetune_cli_refuses_an_output_being_written(tmp_path, capsys, monkeypatch):
    tiny_photonic().save(tmp_path / "m.keras")
    np.savez(tmp_path / "d.npz", x=np.full((8, 8, 8), 2.0), y=np.zeros(8))
    monkeypatch.setattr(commands_module, "load_model_or_name", no_work)
    with atomic.output_lock(tmp_path / "out"):  # another finetune holds it
        assert main(["finetune", str(tmp_path / "m.keras"), "--data", str(tmp_path / "d.npz"),
                     "--out", str(tmp_path / "out")]) == 2
    assert "being written" in one_line_error(capsys, "finetune")


@pytest.mark.parametrize("inside", ["data", "model"])
def test_overwrite_refuses_a_folder_holding_the_commands_inputs(inside, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    model = (out if inside == "model" else tmp_path) / "m.keras"
    data = (out if inside == "data" else tmp_path) / "xy.npz"
    tiny_photonic().save(model)
    np.savez(data, x=np.full((8, 8, 8), 2.0), y=np.zeros(8))
    monkeypatch.setattr(commands_module, "load_model_or_name", no_work)
    assert main(["finetune", str(model), "--data", str(data), "--out", str(out), "--overwrite"]) == 2
    assert "an input of this command" in one_line_error(capsys, "finetune")
    assert data.exists() and model.exists()


def test_generated_photonic_files_name_their_solver_cutoffs(tmp_path, capsys):
    assert main(["generate", "photonic", "--n", "2", "--n-max", "2", "--out", str(tmp_path)]) == 0
    assert main(["generate", "photonic", "--n", "2", "--n-max", "3", "--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.glob("*.npz"))
    assert names == ["photonic_gapped_n2_seed0_nmax_tm2_te2.npz", "photonic_gapped_n2_seed0_nmax_tm3_te3.npz"]


# --- checks after work ------------------------------------------------------------------------------------------

@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_generate_magnet_checks_an_unwritable_out_before_diagonalizing(tmp_path, capsys, monkeypatch):
    import keras_imnn.physics.magnet.ed as ed

    monkeypatch.setattr(ed, "ground_state", no_work)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    argv = ["generate", "magnet", "--j2", "0.5", "--out", str(locked / "o")]
    assert main(argv) == 2
    assert "not writable" in one_line_error(capsys, "generate")


def test_generate_magnet_checks_writability_before_diagonalizing(tmp_path, capsys, monkeypatch):
    """Root ignores permission bits, so the check is tried: a file where the folder should go stands in."""
    import keras_imnn.physics.magnet.ed as ed

    monkeypatch.setattr(ed, "ground_state", no_work)
    (tmp_path / "file").write_text("")
    assert main(["generate", "magnet", "--j2", "0.5", "--out", str(tmp_path / "file" / "o")]) == 2
    assert "is a file" in one_line_error(capsys, "generate")


@pytest.mark.parametrize("command", ["generate", "label"])
@pytest.mark.parametrize("n_max", ["0", "1", "-3"])
def test_n_max_too_small_is_a_usage_error_before_any_cache(command, n_max, tmp_path, capsys):
    np.savez(tmp_path / "cells.npz", eps=np.full((2, 32, 32), 2.0))
    argv = {"generate": ["--n", "2"], "label": ["--data", str(tmp_path / "cells.npz")]}[command]
    with pytest.raises(SystemExit) as exit_:
        main([command, "photonic", *argv, "--n-max", n_max, "--out", str(tmp_path / "o")])
    assert exit_.value.code == 2
    assert "--n-max" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# --- obscure one-liners -----------------------------------------------------------------------------------------

def test_an_empty_npz_says_it_holds_no_examples(tmp_path, capsys):
    tiny_photonic().save(tmp_path / "m.keras")
    np.savez(tmp_path / "d.npz", x=np.zeros((0, 8, 8)), y=np.zeros(0))
    assert main(["evaluate", str(tmp_path / "m.keras"), "--data", str(tmp_path / "d.npz"), "--task",
                 "photonic"]) == 2
    assert "no examples" in one_line_error(capsys, "evaluate")


def test_domain_warning_is_issued_once_per_finetune(rng):
    x = np.full((8, 8, 8), 2.0, "float32")  # uniform cells: out of domain, still valid
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        finetune(tiny_photonic(), x, np.zeros(8), epochs=1, verbose=0)
    assert sum(issubclass(w.category, DomainWarning) for w in caught) == 1


@pytest.mark.parametrize("argv", [["demo", "--n", "100000"],
                                  ["plot", "magnet", "--data", "d.npz", "--out", "m.png", "--n", "1000000"],
                                  ["plot", "photonic", "--cells", "5000"]])
def test_picture_sizes_have_an_upper_bound(argv, capsys, monkeypatch):
    from keras_imnn.physics.photonic import dataset

    monkeypatch.setattr(dataset, "generate", no_work)
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err
    assert "at most" in err or "[1, " in err


def test_overwrite_refuses_the_run_folder_it_starts_from(tmp_path, capsys, monkeypatch):
    save_run(tmp_path / "run", tiny_photonic(), {"model": "photonic_inv_dilated", "task": "photonic"}, {})
    np.savez(tmp_path / "d.npz", x=np.full((8, 8, 8), 2.0), y=np.zeros(8))
    monkeypatch.setattr(commands_module, "load_model_or_name", no_work)
    argv = ["finetune", str(tmp_path / "run"), "--data", str(tmp_path / "d.npz"), "--out", str(tmp_path / "run"),
            "--overwrite"]
    assert main(argv) == 2
    assert "an input of this command" in one_line_error(capsys, "finetune")
    assert (tmp_path / "run" / "model.keras").exists()


def test_a_validation_pair_of_one_array_is_one_line(rng):
    x = cells(rng)
    with pytest.raises(ValueError, match=r"validation_data must be an \(x, y\) pair"):
        finetune(tiny_photonic(), x, x.mean(axis=(1, 2)), validation_data=(x,), epochs=1, verbose=0)


@pytest.mark.parametrize("shape", [(8,), (2, 8, 8, 1, 1)])
def test_predicting_an_input_of_the_wrong_rank_is_one_line(shape):
    with pytest.raises(ValueError, match=r"expects inputs of shape \(batch, 8, 8\) or \(batch, 8, 8, 1\)"):
        tiny_photonic().predict(np.ones(shape, "float32"), verbose=0)


@pytest.mark.parametrize("input_shape", [(0, 0, 1), (32, 32, 0), (-8, 8, 1), (8.5, 8, 1)])
def test_a_model_of_an_empty_or_fractional_input_is_refused(input_shape):
    with pytest.raises(ValueError, match="sizes >= 1"):
        keras_imnn.load("photonic_inv", pretrained=False, input_shape=input_shape)


def test_plot_refuses_more_cells_than_the_file_holds(tmp_path, capsys):
    from keras_imnn.physics.photonic import commands

    commands.write_arrays(tmp_path / "two.npz", {"eps": np.full((2, 32, 32), 2.0, "float32"),
                                                 "tm_gap": np.zeros(2, "float32"),
                                                 "tm_midgap": np.ones(2, "float32")}, {"config": "gapped"})
    assert main(["plot", "photonic", "--data", str(tmp_path / "two.npz"), "--cells", "5", "--out",
                 str(tmp_path / "p.png")]) == 2
    assert "holds only 2 cell(s)" in one_line_error(capsys, "plot")
    assert not (tmp_path / "p.png").exists()


def test_design_refuses_an_output_being_written(tmp_path, capsys, monkeypatch):
    import keras_imnn.design as design

    monkeypatch.setattr(design, "maximize_gap", no_work)
    with atomic.output_lock(tmp_path / "out"):  # another design run holds it
        assert main(["design", "--out", str(tmp_path / "out")]) == 2
    assert "being written" in one_line_error(capsys, "design")


def test_nas_refuses_an_output_being_written(tmp_path, capsys, monkeypatch):
    from keras_imnn.search import tuner

    monkeypatch.setattr(tuner, "dilations", no_work)
    np.savez(tmp_path / "d.npz", eps=np.full((40, 32, 32), 2.0), tm_gap=np.zeros(40), tm_midgap=np.ones(40))
    with atomic.output_lock(tmp_path / "out"):
        assert main(["nas", "photonic_inv", "--npz", str(tmp_path / "d.npz"), "--n-train", "10", "--n-validation",
                     "10", "--n-test", "10", "--out", str(tmp_path / "out")]) == 2
    assert "being written" in one_line_error(capsys, "nas")


@pytest.mark.parametrize("command", ["label", "predict"])
def test_single_file_outputs_keep_inputs_and_existing_files(command, tmp_path, capsys):
    data = tmp_path / "cells.npz"
    np.savez(data, eps=np.stack([np.full((32, 32), 1.0), np.full((32, 32), 1.0)]) + np.eye(32) * 8)
    before = data.read_bytes()
    argv = {"label": ["label", "photonic", "--n-max", "2"], "predict": ["predict", "photonic_inv"]}[command]
    assert main([*argv, "--data", str(data), "--out", str(data), "--overwrite"]) == 2
    assert "an input of this command" in one_line_error(capsys, command)
    other = tmp_path / "old.npz"
    other.write_bytes(b"keep")
    assert main([*argv, "--data", str(data), "--out", str(other)]) == 2
    assert "already exists" in one_line_error(capsys, command)
    assert data.read_bytes() == before and other.read_bytes() == b"keep"
