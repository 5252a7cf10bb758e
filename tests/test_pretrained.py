"""Every shipped checkpoint: verified, loadable, and as accurate on fresh solver data as its manifest says."""
import configparser
from pathlib import Path

import numpy as np
import pytest

import keras_imnn
from keras_imnn.demo import run_demo
from keras_imnn.models import registry
from keras_imnn.models.registry import manifest
from keras_imnn.physics.photonic.cells import random_unit_cells
from keras_imnn.physics.photonic.solver import band_gaps, band_structure, k_grid
from keras_imnn.tasks.photonic_gap import gap_to_midgap
from keras_imnn.training.data import Arrays
from keras_imnn.training.evaluation import evaluate_arrays

SHIPPED = manifest()
PHOTONIC = sorted(n for n in SHIPPED if n.startswith("photonic"))
FRESH_SEED = 7  # the datasets use seed 0: these cells were never trained on


@pytest.fixture(scope="module")
def fresh_gapped_cells():
    eps = random_unit_cells(96, "gapped", FRESH_SEED)
    gaps, midgaps = band_gaps(band_structure(eps, k_grid(16), 2, "tm", progress=False))
    return Arrays(eps[..., None].astype("float32"), gap_to_midgap(gaps[:, 0], midgaps[:, 0])[:, None])


def test_photonic_checkpoints_are_shipped():
    assert {"photonic_cnn", "photonic_inv", "photonic_inv_dilated"} <= set(SHIPPED)


def test_a_wheel_installs_every_checkpoint():
    """setup.cfg's data_files name each weights/ folder by hand: a new checkpoint must be added there."""
    root = Path(registry.__file__).resolve().parents[2]
    cfg = configparser.ConfigParser()
    cfg.read(root / "setup.cfg")
    installed = {Path(dest) / path.name for dest, patterns in cfg["options.data_files"].items()
                 for pattern in patterns.replace(",", " ").split() for path in root.glob(pattern)}
    shipped = {Path("share/keras_imnn") / p.relative_to(root) for p in (root / "weights").rglob("*") if p.is_file()}
    assert shipped == installed
    assert {Path("share/keras_imnn/weights") / e["file"] for e in SHIPPED.values()} <= installed


@pytest.mark.parametrize("name", PHOTONIC)
def test_photonic_checkpoint_metrics_hold_on_fresh_cells(name, fresh_gapped_cells):
    entry = SHIPPED[name]
    metrics = evaluate_arrays(keras_imnn.load(name), fresh_gapped_cells, "regression")
    # 96 cells: allow sampling noise around the manifest's 2 000-cell test MAE (measured: 1.05–1.18×).
    assert metrics["mae"] < 1.3 * entry["test_metrics"]["mae"], (metrics, entry["test_metrics"])
    assert metrics["r2"] > entry["test_metrics"]["r2"] - 0.02


def test_demo_predicts_close_to_the_solver(tmp_path):
    result = run_demo(n_cells=3, out=tmp_path / "demo.png")
    assert (tmp_path / "demo.png").stat().st_size > 10_000
    assert result["eps"].shape == (3, 32, 32) and result["model"].shape == (3,)
    # Test MAE 0.0017; predicting the mean gap would be off by ≈ 0.1.
    assert np.mean(np.abs(result["model"] - result["solver"])) < 0.02


MAGNET = sorted(n for n in SHIPPED if n.startswith("magnet"))


@pytest.fixture(scope="module")
def fresh_magnet_states():
    """5 000 states of square 6×4, J2 = 0.5 outside the checkpoints' training split, drawn uniformly
    with a seed the dataset does not use."""
    from keras_imnn.physics.magnet.ed import ground_state
    from keras_imnn.physics.magnet.sampling import split_indices

    gs = ground_state("square", (6, 4), 0.5, sector="symmetric", progress=False)
    train = split_indices(gs.weights, 0.05, 5000, seed=0)["train"]
    rest = np.setdiff1d(np.arange(len(gs.states)), train)
    pick = np.sort(np.random.default_rng(FRESH_SEED).choice(rest, 5000, replace=False))
    return Arrays(gs.spins(pick).astype("float32"), gs.signs[pick, None].astype("float32"),
                  gs.weights[pick])


@pytest.mark.parametrize("name", MAGNET)
def test_magnet_checkpoint_metrics_hold_on_fresh_states(name, fresh_magnet_states):
    expected = SHIPPED[name]["test_metrics"]
    metrics = evaluate_arrays(keras_imnn.load(name), fresh_magnet_states, "classification")
    assert abs(metrics["accuracy"] - expected["accuracy"]) < 0.04, (metrics, expected)
    assert metrics["sign_overlap"] > expected["sign_overlap"] - 0.1, (metrics, expected)


def test_demo_command(tmp_path, capsys):
    from keras_imnn.cli import main

    assert main(["demo", "--n", "2", "--out", str(tmp_path / "d.png")]) == 0
    assert "mean |error|" in capsys.readouterr().out and (tmp_path / "d.png").exists()
    with pytest.raises(SystemExit) as usage:  # argparse refuses it before any work
        main(["demo", "--n", "0"])
    assert usage.value.code == 2
