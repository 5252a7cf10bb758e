"""`keras-imnn generate photonic` and `keras-imnn plot photonic` end to end on a few cells."""
from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from keras_imnn.cli import main
from keras_imnn.physics.photonic.cells import sample_unit_cells
from keras_imnn.physics.photonic.dataset import FIELDS, SolverSettings, make_examples


def test_generate_npz_and_h5_hold_the_same_labelled_cells(tmp_path, capsys):
    args = ["generate", "photonic", "--config", "sibcl", "--n", "5", "--out", str(tmp_path),
            "--seed", "3", "--workers", "1", "--n-max", "3"]
    assert main(args) == 0
    assert main(args + ["--format", "h5"]) == 0
    assert "TM gap (bands 1-2) in" in capsys.readouterr().out
    npz = np.load(tmp_path / "photonic_sibcl_n5_seed3_nmax_tm3_te3.npz")
    with h5py.File(tmp_path / "photonic_sibcl_n5_seed3_nmax_tm3_te3.h5") as h5:
        assert h5.attrs["config"] == "sibcl" and h5.attrs["n_max_te"] == 3
        for key in FIELDS:
            np.testing.assert_array_equal(npz[key], h5[key][()])
    expected = make_examples("sibcl", 3, 0, 5, SolverSettings(n_max=3))
    for key in FIELDS:
        np.testing.assert_array_equal(npz[key], expected[key])
    cells = sample_unit_cells(5, "sibcl", 3).eps.astype(np.float32)
    np.testing.assert_array_equal(npz["eps"], cells)
    assert npz["tm_bands"].shape == (5, 256, 10) and npz["te_gaps"].shape == (5, 9)
    summary = json.loads((tmp_path / "photonic_sibcl_n5_seed3_nmax_tm3_te3.json").read_text())
    assert summary["tm_gap_statistics"]["n"] == 5 and summary["n_max_tm"] == 3
    assert not list(tmp_path.glob(".cache-*")), "the chunk cache is removed after writing"


def test_plot_writes_a_small_png(tmp_path):
    data = tmp_path / "d"
    assert main(["generate", "photonic", "--config", "gapped", "--n", "4", "--out", str(data),
                 "--workers", "1", "--n-max", "3"]) == 0
    png = tmp_path / "cells.png"
    assert main(["plot", "photonic", "--data", str(data / "photonic_gapped_n4_seed0_nmax_tm3_te3.npz"),
                 "--cells", "2", "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size < 300_000


def test_bad_user_input_gives_one_clear_line(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["generate", "photonic", "--config", "gaped", "--out", str(tmp_path)])
    assert ("invalid choice: 'gaped' (choose from 'gapped', 'sibcl', 'general', 'smooth', 'varied', 'pairs')"
            in capsys.readouterr().err)
    with pytest.raises(SystemExit):
        main(["generate", "photonic", "--n", "0", "--out", str(tmp_path)])
    assert "--n: must be an integer >= 1" in capsys.readouterr().err
    assert main(["plot", "photonic", "--data", str(tmp_path / "missing.npz")]) == 2
    assert "no such data file" in capsys.readouterr().err
    (tmp_path / "cut.npz").write_bytes(b"PK\x03\x04 cut short")
    assert main(["plot", "photonic", "--data", str(tmp_path / "cut.npz")]) == 2
    err = capsys.readouterr().err
    assert "cannot read" in err and "cut.npz, truncated" in err and err.count("\n") == 1
