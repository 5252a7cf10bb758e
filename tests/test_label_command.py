"""`keras-imnn label photonic`: the solver's labels for a user's own cells, in the format `plot photonic`,
`finetune` and `evaluate` read; faults end in one line before any solving, and no output file."""
import json

import numpy as np
import pytest

from keras_imnn.cli import main
from keras_imnn.physics.photonic.cells import rods, sample_unit_cells
from keras_imnn.physics.photonic.dataset import SolverSettings, label_cells


@pytest.fixture
def cells(tmp_path):
    eps = sample_unit_cells(4, "general", seed=5).eps
    path = tmp_path / "cells.npz"
    np.savez(path, x=eps[..., None])  # (n, 32, 32, 1) as a model takes them
    return path, eps


def test_label_round_trip_matches_the_solver_and_feeds_plot_and_finetune(cells, tmp_path, capsys):
    path, eps = cells
    out = tmp_path / "labelled.npz"
    assert main(["label", "photonic", "--data", str(path), "--out", str(out), "--n-max", "3", "--workers", "2"]) == 0
    assert "wrote" in capsys.readouterr().out
    with np.load(out) as f:
        labelled = {k: f[k] for k in f.files}
    expected = label_cells(eps, SolverSettings(n_max=3))
    np.testing.assert_allclose(labelled["eps"], eps)
    for key in ("tm_gap", "tm_midgap", "te_gaps", "band_edges"):
        np.testing.assert_allclose(labelled[key], expected[key], rtol=1e-6, atol=1e-7)
    assert int(labelled["n_max_tm"]) == 3 and labelled["band_edges"].shape == (4, 32)

    assert main(["plot", "photonic", "--data", str(out), "--cells", "1", "--out", str(tmp_path / "p.png")]) == 0
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    run = tmp_path / "ft"
    assert main(["finetune", "photonic_cnn", "--data", str(out), "--out", str(run), "--epochs", "1",
                 "--validation-split", "0.5", "--batch-size", "2"]) == 0
    assert json.loads((run / "run.json").read_text())["n"] == 4


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


@pytest.mark.parametrize("arrays, message", [
    ({"y": np.ones(3)}, "holds no cells: expected an array `eps` or `x`"),
    ({"eps": np.ones((2, 16, 16))}, "32"),
    ({"eps": np.stack([rods(0.2, 8.9), -rods(0.2, 8.9)])}, "1 of 2 unit cells hold ε ≤ 0"),
    ({"eps": np.full((1, 32, 32), np.nan)}, "NaN or infinite"),
])
def test_bad_cells_are_one_line_and_write_nothing(arrays, message, tmp_path, capsys):
    np.savez(tmp_path / "bad.npz", **arrays)
    out = tmp_path / "labelled.npz"
    assert main(["label", "photonic", "--data", str(tmp_path / "bad.npz"), "--out", str(out)]) == 2
    line = one_line_error(capsys)
    assert line.startswith("keras-imnn label: error: ") and message in line
    assert not out.exists()


def test_bad_paths_are_one_line(cells, tmp_path, capsys):
    path, _ = cells
    assert main(["label", "photonic", "--data", str(tmp_path / "none.npz"), "--out", str(tmp_path / "o.npz")]) == 2
    assert "no such data file" in one_line_error(capsys)
    assert main(["label", "photonic", "--data", str(path), "--out", str(tmp_path / "o.csv")]) == 2
    assert "--out must end in .npz or .h5" in one_line_error(capsys)
