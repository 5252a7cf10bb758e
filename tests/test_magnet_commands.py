"""`keras-imnn generate magnet`: arguments checked before the diagonalization, the output folder
replaced as a whole (never a mix of two runs)."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest

from keras_imnn.cli import main
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
    (["--shape", "3", "3"], "Lx*Ly even"),
    (["--j1", "nan"], "--j1 must be a finite number"),
    (["--seed", "-1"], "--seed must be in [0, 2**32)"),
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
