"""The CLI loses nothing and answers nothing silently wrong: bad options, paths and files are refused
before any work, with one line and a non-zero exit; runs are written whole or not at all."""
import zipfile

import keras
import numpy as np
import pytest

import keras_imnn
import keras_imnn.atomic as atomic
import keras_imnn.training.loop.finetune as finetune_module
import keras_imnn.training.loop.train as train_module
from keras_imnn.cli import build_parser, main
from keras_imnn.training.loop.train import save_run


def tiny_model():
    return keras_imnn.load("photonic_inv_dilated", pretrained=False, input_shape=(8, 8, 1), filters=4)


@pytest.fixture
def finetune_files(tmp_path):
    """(base model, .npz of 8 samples) for `keras-imnn finetune`."""
    tiny_model().save(tmp_path / "base.keras")
    x = np.random.default_rng(0).uniform(1, 20, size=(8, 8, 8)).astype("float32")
    np.savez(tmp_path / "cells.npz", x=x, y=x.mean(axis=(1, 2)))
    return str(tmp_path / "base.keras"), str(tmp_path / "cells.npz")


def one_line_error(capsys, command: str) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"keras-imnn {command}: error: ")
    return last


def no_work(*args, **kwargs):
    raise AssertionError("refused arguments must stop the command before any work")


@pytest.mark.parametrize("argv", [
    ["train", "photonic_inv", "--out", "o", "--learning-rate", "nan"],
    ["train", "photonic_inv", "--out", "o", "--learning-rate", "inf"],
    ["train", "photonic_inv", "--out", "o", "--learning-rate", "0"],
    ["train", "photonic_inv", "--out", "o", "--learning-rate", "-0.001"],
    ["train", "photonic_inv", "--out", "o", "--epochs", "0"],
    ["train", "photonic_inv", "--out", "o", "--batch-size", "0"],
    ["train", "photonic_inv", "--out", "o", "--patience", "-1"],
    ["train", "photonic_inv", "--out", "o", "--n-train", "0"],
    ["train", "photonic_inv", "--out", "o", "--seed", "-1"],
    ["finetune", "m", "--data", "d.npz", "--out", "o", "--validation-split", "1"],
    ["finetune", "m", "--data", "d.npz", "--out", "o", "--validation-split", "-0.1"],
    ["finetune", "m", "--data", "d.npz", "--out", "o", "--validation-split", "nan"],
    ["finetune", "m", "--data", "d.npz", "--out", "o", "--epochs", "0"],
    ["finetune", "m", "--data", "d.npz", "--out", "o", "--learning-rate", "nan"],
    ["evaluate", "photonic_inv", "--dataset", "photonic_crystals/gapped", "--n", "-1"],
    ["evaluate", "photonic_inv", "--dataset", "photonic_crystals/gapped", "--n", "0"],
    ["demo", "--n", "0"],
])
def test_bad_numeric_options_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(argv)
    assert exc.value.code == 2
    assert f"argument {argv[-2]}: must be" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["train", "finetune"])
def test_existing_out_is_refused_and_kept_unless_overwrite(command, finetune_files, tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text("old run")
    trained = []
    monkeypatch.setattr(train_module, "train", lambda *a, **k: trained.append(k) or train_module.RunResult(
        None, {}, {"mae": 0.0}, {}))
    base, data = finetune_files
    argv = (["train", "photonic_inv"] if command == "train" else ["finetune", base, "--data", data, "--epochs", "1"])
    argv += ["--out", str(out)]
    assert main(argv) == 2
    assert "already exists" in one_line_error(capsys, command)
    assert (out / "run.json").read_text() == "old run" and not trained
    assert main(argv + ["--overwrite"]) == 0
    if command == "finetune":
        assert (out / "run.json").read_text() != "old run" and (out / "model.keras").exists()
    else:
        assert trained and trained[0]["out"] == str(out)


@pytest.mark.parametrize("command", ["train", "finetune"])
def test_unwritable_out_is_refused_before_training(command, finetune_files, tmp_path, capsys, monkeypatch):
    # A path below a regular file cannot be created, even by root (who ignores read-only modes).
    (tmp_path / "afile").write_text("")
    monkeypatch.setattr(train_module, "train", no_work)
    monkeypatch.setattr(finetune_module, "finetune", no_work)
    base, data = finetune_files
    argv = ["train", "photonic_inv"] if command == "train" else ["finetune", base, "--data", data]
    assert main(argv + ["--out", str(tmp_path / "afile" / "run")]) == 2
    assert "is a file, not a folder" in one_line_error(capsys, command)


def test_read_only_folder_is_refused(tmp_path, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic.tempfile, "mkdtemp", denied)
    with pytest.raises(PermissionError, match="is not writable"):
        train_module.check_out(tmp_path / "new" / "run")
    monkeypatch.undo()
    train_module.check_out(tmp_path)  # an existing empty folder is fine without overwrite...
    (tmp_path / "x").write_text("")
    with pytest.raises(FileExistsError):  # ...a non-empty one is not
        train_module.check_out(tmp_path)


def test_save_run_interrupted_leaves_the_old_run(tmp_path, monkeypatch):
    out = tmp_path / "run"
    model = tiny_model()
    save_run(out, model, {"model": "old"}, {"loss": [1.0]})
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def dies_while_saving(self, path, *args, **kwargs):
        open(path, "wb").write(b"half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(keras.Model, "save", dies_while_saving)
    with pytest.raises(OSError, match="disk full"):
        save_run(out, model, {"model": "new"}, {"loss": [0.5]})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary folder left behind


@pytest.mark.parametrize("model_kind", ["zoo name", "keras file", "run with run.json"])
def test_evaluate_refuses_a_model_of_another_task(model_kind, tmp_path, capsys, monkeypatch):
    import keras_imnn.training.data.loading as data_module

    monkeypatch.setattr(data_module, "load_split", no_work)
    if model_kind == "zoo name":
        model = "magnet_inv"
    elif model_kind == "keras file":
        keras_imnn.load("magnet_inv", pretrained=False, filters=4).save(tmp_path / "m.keras")
        model = str(tmp_path / "m.keras")
    else:  # a model whose own name says nothing: its run.json does
        custom = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(1)],
                                  name="custom")
        save_run(tmp_path / "run", custom, {"model": "magnet_cnn"}, {})
        model = str(tmp_path / "run")
    assert main(["evaluate", model, "--dataset", "photonic_crystals/gapped"]) == 2
    line = one_line_error(capsys, "evaluate")
    assert "magnet model" in line and "photonic data" in line


def test_demo_refuses_a_magnet_model(tmp_path, capsys):
    assert main(["demo", "--model", "magnet_inv", "--n", "1", "--out", str(tmp_path / "demo.png")]) == 2
    assert "magnet_inv is a magnet model" in one_line_error(capsys, "demo")
    assert not (tmp_path / "demo.png").exists()


def npz_missing_key(tmp_path):
    path = tmp_path / "cells.npz"
    np.savez(path, eps=np.ones((4, 8, 8)), tm_gap=np.zeros(4))
    return path, "'tm_midgap'"


def npz_truncated(tmp_path):
    np.savez(tmp_path / "full.npz", x=np.ones((100, 8, 8)), y=np.ones(100))
    data = (tmp_path / "full.npz").read_bytes()
    (tmp_path / "cells.npz").write_bytes(data[: len(data) // 2])
    return tmp_path / "cells.npz", "not an .npz archive"


def npy_named_npz(tmp_path):
    with open(tmp_path / "cells.npz", "wb") as f:
        np.save(f, np.ones(3))
    return tmp_path / "cells.npz", "not an .npz archive"


def folder_as_data(tmp_path):
    (tmp_path / "cells").mkdir()
    return tmp_path / "cells", "is a folder"


@pytest.mark.parametrize("make_data", [npz_missing_key, npz_truncated, npy_named_npz, folder_as_data])
def test_bad_data_file_is_one_line(make_data, finetune_files, tmp_path, capsys):
    data, message = make_data(tmp_path)
    assert main(["finetune", finetune_files[0], "--data", str(data), "--out", str(tmp_path / "ft")]) == 2
    assert message in one_line_error(capsys, "finetune")
    assert not (tmp_path / "ft").exists()


@pytest.mark.parametrize("make_data", [npz_truncated, npy_named_npz, folder_as_data])
def test_plot_magnet_refuses_a_bad_data_file_in_one_line(make_data, tmp_path, capsys):
    data, message = make_data(tmp_path)
    assert main(["plot", "magnet", "--data", str(data), "--out", str(tmp_path / "top.png")]) == 2
    assert message in one_line_error(capsys, "plot")
    np.savez(tmp_path / "cells.npz", x=np.ones(3))  # an .npz, but not of `generate magnet`
    assert main(["plot", "magnet", "--data", str(tmp_path / "cells.npz"), "--out", str(tmp_path / "top.png")]) == 2
    assert ("lacks spins, sign, weight: a file written by `keras-imnn generate magnet` holds spins, sign, weight "
            "(this one: x)") in one_line_error(capsys, "plot")
    assert not (tmp_path / "top.png").exists()


def test_a_damaged_ground_state_file_names_what_it_lacks(tmp_path):
    from keras_imnn.physics.magnet.representatives import load_ground_state

    np.savez(tmp_path / "gs.npz", meta="{}", representatives=np.zeros(2, np.uint64))
    with pytest.raises(ValueError, match=r"gs.npz lacks amplitudes, orbit_sizes: a file written by "
                                         r"SymmetricGroundState.save holds meta, representatives"):
        load_ground_state(tmp_path / "gs.npz")


def test_bad_keras_file_is_one_line(finetune_files, tmp_path, capsys):
    with zipfile.ZipFile(tmp_path / "other.keras", "w") as z:  # a zip, but not a Keras model
        z.writestr("notes.txt", "hello")
    assert main(["finetune", str(tmp_path / "other.keras"), "--data", finetune_files[1],
                 "--out", str(tmp_path / "ft")]) == 2
    assert "cannot load" in one_line_error(capsys, "finetune")
    (tmp_path / "half.keras").write_bytes((tmp_path / "base.keras").read_bytes()[:1000])
    assert main(["finetune", str(tmp_path / "half.keras"), "--data", finetune_files[1],
                 "--out", str(tmp_path / "ft")]) == 2
    assert "not a .keras file" in one_line_error(capsys, "finetune")


def test_too_few_samples_is_one_line(finetune_files, tmp_path, capsys):
    np.savez(tmp_path / "one.npz", x=np.ones((1, 8, 8)), y=np.ones(1))
    assert main(["finetune", finetune_files[0], "--data", str(tmp_path / "one.npz"),
                 "--out", str(tmp_path / "ft")]) == 2
    assert "need at least 2 samples" in one_line_error(capsys, "finetune")


def test_a_bug_keeps_its_traceback(finetune_files, tmp_path, monkeypatch):
    import keras_imnn.training.data.loading as data_module

    def bug(*args, **kwargs):
        raise TypeError("a genuine bug")

    monkeypatch.setattr(data_module, "load_npz", bug)
    with pytest.raises(TypeError, match="a genuine bug"):
        main(["finetune", finetune_files[0], "--data", finetune_files[1], "--out", str(tmp_path / "ft")])


def test_train_on_checks_out_before_training(tmp_path, monkeypatch):
    from keras_imnn.arrays import Arrays
    from keras_imnn.tasks import TASKS
    from keras_imnn.training.data.task_data import TaskData

    (tmp_path / "afile").write_text("")
    monkeypatch.setattr(train_module, "fit", no_work)
    data = Arrays(np.ones((4, 8, 8, 1), "float32"), np.ones((4, 1), "float32"))
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        train_module.train_on("photonic_inv_dilated", TaskData(data, None, data, TASKS["photonic"]),
                              out=tmp_path / "afile" / "run", input_shape=(8, 8, 1), filters=4)


@pytest.fixture
def magnet_files(tmp_path):
    """(a magnet model saved as .keras, an .npz of 12 spin configurations with 0/1 signs)."""
    keras_imnn.load("magnet_inv", pretrained=False, filters=4).save(tmp_path / "magnet.keras")
    spins = np.random.default_rng(0).integers(0, 2, size=(12, 6, 4)).astype("float32")
    np.savez(tmp_path / "spins.npz", x=spins, y=spins.sum(axis=(1, 2)) % 2)
    return str(tmp_path / "magnet.keras"), str(tmp_path / "spins.npz")


def test_cli_finetune_of_a_magnet_model_trains_its_sign_and_reports_metrics(magnet_files, tmp_path, capsys):
    # `finetune magnet_inv ...` trained MSE on the sign logit and printed only the loss.
    import json

    model, data = magnet_files
    assert main(["finetune", model, "--data", data, "--out", str(tmp_path / "ft"), "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    printed = json.loads(out[out.index("{\n"):])  # after Keras' progress lines
    run = json.loads((tmp_path / "ft" / "run.json").read_text())
    for record in (printed, run):
        assert record["task"] == "magnet" and record["epochs_run"] == 2
        assert set(record["validation_metrics"]) == {"accuracy"}
    assert "accuracy" in run["history"]
    # The run folder knows its task: fine-tuning it again as photonic data is refused.
    assert main(["finetune", str(tmp_path / "ft"), "--data", data, "--task", "photonic",
                 "--out", str(tmp_path / "ft2")]) == 2
    assert "is a magnet model" in one_line_error(capsys, "finetune")


def test_cli_evaluate_scores_a_users_npz(magnet_files, finetune_files, capsys):
    # `evaluate` only read TFDS datasets.
    import json

    assert main(["evaluate", magnet_files[0], "--data", magnet_files[1], "--n", "5"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["task"], printed["n"], set(printed["metrics"])) == ("magnet", 5, {"accuracy"})
    assert main(["evaluate", finetune_files[0], "--data", finetune_files[1]]) == 0
    assert set(json.loads(capsys.readouterr().out)["metrics"]) == {"mae", "rmse", "r2", "has_gap_accuracy"}
    with pytest.raises(SystemExit):
        build_parser().parse_args(["evaluate", "m", "--data", "a.npz", "--dataset", "photonic_crystals/gapped"])


def test_cli_finetune_options_have_help_and_reach_the_training(finetune_files, tmp_path, monkeypatch):
    # Half of finetune's options had no help; --batch-size and --patience were missing.
    parser = build_parser()
    finetune_parser = next(a for a in parser._subparsers._group_actions).choices["finetune"]
    assert all(action.help for action in finetune_parser._actions), \
        [a.dest for a in finetune_parser._actions if not a.help]
    seen = {}

    def record(model, x, y, **kwargs):
        seen.update(kwargs)
        raise ValueError("stop here")

    monkeypatch.setattr(finetune_module, "finetune", record)
    base, data = finetune_files
    assert main(["finetune", base, "--data", data, "--out", str(tmp_path / "ft"), "--batch-size", "4",
                 "--patience", "3"]) == 2
    assert (seen["settings"].batch_size, seen["settings"].patience, seen["task"].name) == (4, 3, "photonic")


def test_cli_target_is_refused_for_xy_files(finetune_files, tmp_path, capsys):
    # --target was silently ignored for an x/y file (its y is the target).
    base, data = finetune_files
    assert main(["finetune", base, "--data", data, "--target", "te", "--out", str(tmp_path / "ft")]) == 2
    assert "y is the target" in one_line_error(capsys, "finetune")
    assert not (tmp_path / "ft").exists()


def test_train_monitor_reaches_the_settings_and_an_unknown_one_is_refused_before_data(tmp_path, capsys, monkeypatch):
    seen = []
    monkeypatch.setattr(train_module, "train", lambda *a, **k: seen.append(k["settings"]) or train_module.RunResult(
        None, {}, {"mae": 0.0}, {}))
    assert main(["train", "photonic_inv", "--monitor", "mae", "--out", str(tmp_path / "a")]) == 0
    assert seen[0].monitor == "mae"
    monkeypatch.undo()
    monkeypatch.setattr(train_module, "load_task_data", no_work)
    assert main(["train", "photonic_inv", "--monitor", "accuracy", "--out", str(tmp_path / "b")]) == 2
    assert "monitor must be one of loss, mae for the photonic task; got 'accuracy'" in one_line_error(capsys, "train")
