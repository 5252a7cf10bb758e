"""`keras-imnn generate magnet`: arguments checked before the diagonalization, the output folder
replaced as a whole (never a mix of two runs)."""
from __future__ import annotations

import json
import re
import time

import numpy as np
import pytest

from keras_imnn.cli import main
from keras_imnn.errors import UserError
from keras_imnn.physics.magnet import ed


@pytest.fixture(scope="module")
def square_4x4():
    return ed.ground_state("square", (4, 4), 0.5, sector="symmetric", progress=False)  # one sector: fast


def _args(out, *extra: str) -> list[str]:
    return ["generate", "magnet", "--j2", "0.5", "--test-size", "100", "--out", str(out), *extra]


@pytest.mark.parametrize(("extra", "message"), [
    (["--train-fraction", "1.5"], "--train-fraction must be in (0, 1), got 1.5"),
    (["--train-fraction", "0.00001"], "gives no train state out of 12870"),
    (["--test-size", "0"], "--test-size must be in [1, 12226]"),
    (["--test-size", "20000"], "--test-size must be in [1, 12226]"),
    (["--lattice", "hexagonal"], "unknown lattice 'hexagonal'"),
    (["--shape", "4", "2"], "Lx, Ly >= 3"),
    (["--j1", "nan"], "--j1 must be a finite number"),
    (["--seed", "-1"], "--seed must be in [0, 2**32)"),
    (["--shape", "6", "6", "--no-orbits"], "--no-orbits lists all 9.08e+09 basis states of 36 spins"),
    (["--shape", "6", "6", "--train-fraction", "1e-9"], "gives no train state out of 15804956 orbits"),
    (["--ground-state-dir", "."], "--ground-state-dir is read on the orbit path only"),
    (["--orbits", "--train-fraction", "0.5", "--ground-state-dir", "no/such/dir"],
     "--ground-state-dir no/such/dir is not a folder"),
])
def test_bad_arguments_fail_before_the_diagonalization(tmp_path, monkeypatch, capsys, extra, message):
    def no_ed(*_, **__):
        raise AssertionError("ground_state ran before the arguments were checked")

    monkeypatch.setattr(ed, "ground_state", no_ed)
    started = time.monotonic()
    assert main(_args(tmp_path / "m", *extra)) == 2
    assert time.monotonic() - started < 1.0
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "m").exists()


def test_an_out_folder_with_other_files_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(ed, "ground_state", lambda *_, **__: pytest.fail("ran the ED"))
    (tmp_path / "notes.txt").write_text("mine")
    assert main(_args(tmp_path)) == 2
    assert "holds other files (notes.txt)" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def _old_run(out):
    out.mkdir()
    for name in ("train", "test", "full"):
        np.savez(out / f"{name}.npz", sign=np.array([7]))
    (out / "metadata.json").write_text(json.dumps({"j2": 0.0}))
    return {p.name: p.read_bytes() for p in out.iterdir()}


def test_a_run_failing_midway_leaves_the_previous_folder_whole(tmp_path, monkeypatch, square_4x4):
    out = tmp_path / "m"
    old = _old_run(out)
    monkeypatch.setattr(ed, "ground_state", lambda *_, **__: square_4x4)
    savez, written = np.savez, []

    def disk_full_after_one_file(file, **arrays):
        if written:
            raise OSError(28, "No space left on device")
        written.append(file)
        savez(file, **arrays)

    monkeypatch.setattr(np, "savez", disk_full_after_one_file)
    try:
        code = main(_args(out))
    except OSError:  # where main does not turn it into an exit code
        code = 1
    assert code != 0
    assert written, "the first split was written before the failure"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"], "no temporary folder is left"


def test_a_run_replaces_the_previous_folder_as_a_whole(tmp_path, monkeypatch, square_4x4):
    out = tmp_path / "m"
    _old_run(out)
    monkeypatch.setattr(ed, "ground_state", lambda *_, **__: square_4x4)
    assert main(_args(out)) == 0
    assert sorted(p.name for p in out.iterdir()) == ["full.npz", "metadata.json", "test.npz", "train.npz"]
    assert json.loads((out / "metadata.json").read_text())["j2"] == 0.5
    with np.load(out / "test.npz") as test:
        assert test["sign"].shape == (100,)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_an_odd_number_of_spins_is_generated_at_sz_one_half(tmp_path):
    out = tmp_path / "odd"
    assert main(["generate", "magnet", "--shape", "3", "3", "--j2", "0.5", "--train-fraction", "0.2", "--test-size",
                 "20", "--out", str(out)]) == 0
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["sz"] == 0.5 and "Z" not in meta["sign_characters"]
    with np.load(out / "full.npz") as full:
        assert len(full["states"]) == 126 and (full["spins"].sum(axis=(1, 2, 3)) == 5).all()


def test_orbit_path_samples_the_symmetric_ground_state_from_its_file(tmp_path, monkeypatch, square_4x4):
    """--orbits (the default past 30 spins) on 4x4: the ground state read from --ground-state-dir, train =
    epsilon of the orbits drawn with |psi|^2, test uniform, both labelled as the expanded ED labels them."""
    from keras_imnn.physics.magnet import representatives

    folder = tmp_path / "gs"
    gs = representatives.symmetric_ground_state("square", (4, 4), 0.5, progress=False)
    gs.save(folder / representatives.ground_state_filename("square", (4, 4), 0.5))
    monkeypatch.setattr(representatives, "symmetric_ground_state", lambda *_, **__: pytest.fail("solved again"))
    out = tmp_path / "m"
    assert main(_args(out, "--orbits", "--train-fraction", "0.5", "--ground-state-dir", str(folder))) == 0
    assert sorted(p.name for p in out.iterdir()) == ["metadata.json", "test.npz", "train.npz"]
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["train_fraction_of"] == "orbits" and meta["n_orbits"] == gs.sector_dim
    assert meta["energy"] == pytest.approx(square_4x4.energy, abs=1e-10)
    for name, size in (("train", round(0.5 * gs.sector_dim)), ("test", 100)):
        with np.load(out / f"{name}.npz") as split:
            assert len(np.unique(split["states"])) == size
            index = np.searchsorted(square_4x4.states, split["states"])
            np.testing.assert_array_equal(split["sign"], square_4x4.signs[index])
            np.testing.assert_allclose(split["weight"], square_4x4.weights[index], rtol=1e-5, atol=1e-12)
            np.testing.assert_array_equal(ed.spins_to_states(split["spins"]), split["states"])


@pytest.fixture(scope="module")
def triangular_4x4(tmp_path_factory):
    """A `generate magnet` folder of the anisotropic triangular 4x4 lattice (metadata.json names it)."""
    out = tmp_path_factory.mktemp("magnet") / "triangular_4x4"
    assert main(_args(out, "--lattice", "triangular", "--shape", "4", "4")) == 0
    return out


def test_training_on_a_lattice_the_models_group_does_not_keep_is_refused(triangular_4x4, tmp_path, capsys,
                                                                          monkeypatch):
    # D2 and D4 (the zoo's magnet groups) map the triangular lattice's J2 diagonal onto the other one.
    from keras_imnn.tasks import TASKS
    from keras_imnn.training.checkpoints import main as train_checkpoints
    from keras_imnn.training.data import task_data
    from keras_imnn.training.data.task_data import load_task_data, source_lattice

    data = load_task_data("frustrated_magnets/x", npz_dir=str(triangular_4x4))
    lattice = data.lattice
    assert lattice == ("triangular", (4, 4))
    refused = (r"^magnet_inv: group 'd[24]' does not map the bonds of the triangular 4x4 lattice .*'trivial', 'c2' "
               r"\(choose one with --group; group= in Python\)$")
    with pytest.raises(ValueError, match=refused):
        data.check_model("magnet_inv")  # the zoo's group
    with pytest.raises(ValueError, match=refused.replace("d[24]", "d2")):
        data.check_model("magnet_inv", {"group": "d2"})
    data.check_model("magnet_inv", {"group": "c2"})
    data.check_model("magnet_cnn")  # no invariance: nothing to refuse
    assert source_lattice(None, npz_dir=tmp_path) is None  # no metadata: nothing known
    task_data.check_model("magnet_inv", TASKS["magnet"], None)
    with pytest.raises(ValueError, match="'photonic_inv' is a photonic model and .* holds magnet data"):
        data.check_model("photonic_inv")
    with pytest.raises(ValueError, match=refused):
        train_checkpoints(["magnet", "--npz-dir", str(triangular_4x4), "--models", "magnet_cnn", "magnet_inv",
                           "--weights-dir", str(tmp_path / "w"), "--epochs", "1"])
    assert not (tmp_path / "w").exists(), "refused before any training"
    # `keras-imnn train` on the TFDS config reads its lattice before building anything.
    args = ["train", "magnet_inv_dilated", "--dataset", "frustrated_magnets/triangular_4x4_j2_1.3",
            "--data-dir", str(tmp_path / "tfds"), "--out", str(tmp_path / "run")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert re.match(r"keras-imnn train: error: magnet_inv_dilated: group 'd[24]' does not map the bonds of the "
                    r"triangular 4x4 lattice .*accepted for it: 'trivial', 'c2' \(choose one with --group", err)
    assert "\n" not in err and not (tmp_path / "tfds").exists() and not (tmp_path / "run").exists()
    # With --group c2 the lattice check passes and the data are read next; a CNN uses a group only to augment.
    def reached(*args, **kwargs):
        raise UserError("reached the data")

    monkeypatch.setattr(task_data, "load_split", reached)
    assert main([*args, "--group", "C2"]) == 2
    assert capsys.readouterr().err.strip() == "keras-imnn train: error: reached the data"
    assert main(["train", "magnet_cnn", "--group", "c2", "--out", str(tmp_path / "run")]) == 2
    assert "--group: magnet_cnn is not invariant, so it uses no group; add --augment" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "magnet_inv", "--group", "d8", "--out", str(tmp_path / "run")])
    assert "argument --group: unknown group 'd8'; accepted: " in capsys.readouterr().err
    # The checkpoint script takes --group for its invariant models and records it; the CNN keeps none.
    train_checkpoints(["magnet", "--npz-dir", str(triangular_4x4), "--models", "magnet_cnn", "magnet_inv",
                       "--weights-dir", str(tmp_path / "w"), "--epochs", "1", "--group", "c2"])
    manifest = json.loads((tmp_path / "w" / "manifest.json").read_text())
    assert manifest["magnet_inv"]["config"]["group"] == "c2" and manifest["magnet_cnn"]["config"]["group"] is None


def test_augmentation_draws_from_the_data_lattice_group(monkeypatch):
    # `--augment` on the triangular lattice drew from D2, whose mirrors turn its J2 diagonal into the other one:
    # a CNN augmented so learns a symmetry the data lack. It now takes the lattice's own group.
    import keras_imnn.training.loop.train as train_module
    from keras_imnn.arrays import Arrays
    from keras_imnn.tasks import TASKS
    from keras_imnn.training.data.task_data import TaskData, lattice_augment

    assert lattice_augment(True, ("triangular", (6, 4)), "magnet_cnn") == "c2"
    assert lattice_augment(True, ("triangular", (4, 4)), "magnet_cnn") == "c2"
    assert lattice_augment(True, ("square", (6, 4)), "magnet_cnn") == "d2"  # a rectangle keeps its shape
    assert lattice_augment(True, ("square", (6, 6)), "magnet_cnn") == "d4"
    assert lattice_augment(True, None, "photonic_cnn") is True  # photonic cells: train_on's D4
    assert lattice_augment(False, ("triangular", (6, 4)), "magnet_cnn") is False
    assert lattice_augment("c2", ("triangular", (6, 4)), "magnet_cnn") == "c2"
    with pytest.raises(ValueError, match=r"^magnet_cnn augmentation: group 'd2' does not map the bonds of the "
                                         r"triangular 6x4 lattice"):
        lattice_augment("d2", ("triangular", (6, 4)), "magnet_cnn")
    seen = {}
    spins = Arrays(np.zeros((2, 6, 4, 1), "float32"), np.zeros((2, 1), "float32"))
    on_triangular = TaskData(spins, spins, spins, TASKS["magnet"], ("triangular", (6, 4)))
    monkeypatch.setattr(train_module, "load_task_data", lambda *a, **k: on_triangular)

    def built(name, augment, *args):  # train_on builds the model with the group it resolved: stop there
        seen.update(augment=augment)
        raise UserError("built")

    monkeypatch.setattr(train_module, "model_overrides", built)
    with pytest.raises(UserError, match="built"):
        train_module.train("magnet_cnn", "frustrated_magnets/triangular_6x4_j2_1.3", augment=True)
    assert seen["augment"] == "c2"
