"""Every shipped checkpoint: verified, loadable, and as accurate on fresh solver data as its manifest says.

Photonic checkpoints are scored on fresh cells (seed FRESH_SEED, never trained on) of the cell config of
their manifest "dataset": ``photonic_crystals/gapped`` on gapped cells, ``photonic_crystals/general`` on
cells of each family of the general mix, scored per family.
"""
import configparser
from pathlib import Path

import numpy as np
import pytest

import keras_imnn
from keras_imnn.arrays import Arrays
from keras_imnn.demo import run_demo
from keras_imnn.models import registry
from keras_imnn.models.registry import manifest
from keras_imnn.physics.photonic.cells import FAMILIES, MIXES, sample_unit_cells
from keras_imnn.physics.photonic.dataset import DATASET_N_MAX, SolverSettings, label_cells
from keras_imnn.physics.photonic.solver import band_gaps, band_structure, k_grid
from keras_imnn.tasks import TASKS, get_task
from keras_imnn.tasks.photonic_gap import gap_to_midgap
from keras_imnn.training.loop.evaluation import evaluate_arrays
from keras_imnn.uncertainty import calibration as cal

SHIPPED = manifest()
FRESH_SEED = 7  # the datasets use seed 0: these cells were never trained on


def shipped(task):
    """The zoo models of ``task`` that have a checkpoint in the manifest."""
    return sorted(n for n in keras_imnn.list_models(task) if n in SHIPPED)


PHOTONIC, EDGES, MAGNET = shipped("photonic"), shipped("photonic_edges"), shipped("magnet")


def cell_config(name):
    """The cell config of a checkpoint's manifest "dataset" (``photonic_crystals/general:1.0.0`` → general)."""
    return SHIPPED[name]["dataset"].split("/")[1].split(":")[0]


def first_of_each_family(config, per_family):
    """``(eps (n, 32, 32), family names (n,), mix weights (n,))``: the first ``per_family`` cells of each family
    of ``config`` drawn with FRESH_SEED, weighted so that a weighted mean over them estimates the mean over
    ``config``'s mix (each family's weight its mix probability, shared by its cells)."""
    mix = MIXES[config]
    pool = sample_unit_cells(per_family * (1 if len(mix) == 1 else 5 * len(mix)), config, FRESH_SEED)
    names = np.array(FAMILIES)[pool.family]
    picked = np.concatenate([np.flatnonzero(names == family)[:per_family] for family in mix])
    assert len(picked) == per_family * len(mix), "the pool is short of a family: draw more cells"
    return pool.eps[picked], names[picked], np.array([mix[f] / per_family for f in names[picked]])


def fresh_gap_cells(config, per_family):
    """Fresh cells of ``config`` with the TM gap-to-midgap ratio of bands 1-2 at its datasets' cutoff, as
    ``(Arrays with the mix weights as weight, family names)``."""
    eps, families, weight = first_of_each_family(config, per_family)
    bands = band_structure(eps, k_grid(16), 2, "tm", n_max=DATASET_N_MAX[config], progress=False)
    gaps, midgaps = band_gaps(bands)
    y = gap_to_midgap(gaps[:, 0], midgaps[:, 0])[:, None]
    return Arrays(eps[..., None].astype("float32"), y, weight), families


@pytest.fixture(scope="module")
def fresh_gapped_cells():
    """96 gapped cells (the 2 000-cell test MAE of the gapped checkpoints holds on them within 1.05-1.18×)."""
    return fresh_gap_cells("gapped", 96)


@pytest.fixture(scope="module")
def fresh_general_cells():
    """12 cells of each of the 8 families of ``general`` (96 cells, about 30 CPU s at the TM cutoff 7)."""
    return fresh_gap_cells("general", 12)


@pytest.fixture(scope="module")
def fresh_general_edges():
    """The first 48 cells of the ``general`` mix (at its frequencies) with their 32 band edges, computed as the
    dataset does (``label_cells``: TM and TE bands 1-8 on k_grid(16), cutoff 7; about 0.6 CPU s a cell)."""
    cells = sample_unit_cells(48, "general", FRESH_SEED)
    edges = label_cells(cells.eps, SolverSettings(n_bands=8, n_max=DATASET_N_MAX["general"]))["band_edges"]
    return Arrays(cells.eps[..., None].astype("float32"), edges.astype("float32")), np.array(FAMILIES)[cells.family]


def weighted_mae_r2(y, pred, weight):
    """MAE and R² with each example weighted by ``weight`` (estimates of those over the mix)."""
    y, err, w = np.ravel(y), np.ravel(pred) - np.ravel(y), weight / weight.sum()
    mean = np.sum(w * y)
    return float(np.sum(w * np.abs(err))), float(1.0 - np.sum(w * err**2) / np.sum(w * (y - mean) ** 2))


def test_photonic_checkpoints_are_shipped():
    assert {"photonic_cnn", "photonic_inv", "photonic_inv_dilated", "photonic_inv_dilated_gapped"} <= set(SHIPPED)


def test_the_gapped_flagship_is_scored_on_the_data_it_was_trained_on():
    """photonic_inv_dilated_gapped keeps the gapped-only checkpoint when photonic_inv_dilated is retrained."""
    spec = registry.get_spec("photonic_inv_dilated_gapped")
    assert spec.dataset == SHIPPED[spec.name]["dataset"] == "photonic_crystals/gapped"
    assert cell_config(spec.name) == "gapped"


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


# 96 cells: allowance for sampling noise around the manifest's 2 000-cell test MAE. Gapped checkpoints on gapped
# cells: measured 1.05-1.18×. General cells, 12 per family: 99th percentile 1.18-1.48× (stratified resamples of
# 480 general cells scored by today's three gapped-trained checkpoints; the heavier-tailed the errors, the more).
MAE_ALLOWANCE = {"gapped": 1.3, "general": 1.5}
# On general cells each family's MAE (12 cells) against that family's test MAE in the manifest
# (``test_metrics_by_family``; the mix-wide one for an entry without it): catches a family the model gets wholly
# wrong. 12 of each family's 2 000-cell test cells resampled, today's three general checkpoints: worst of the 8
# families 1.5-1.9× typically, 99th percentile 2.8-6.7×, 99.9th 3.3-9.5× (photonic_inv_dilated on sibcl cells,
# whose errors have a 70× tail); against the mix-wide MAE, 99th percentile 3.1-8.8×.
FAMILY_MAE_ALLOWANCE = 8.0
# R² within 0.02 of the manifest's; on general cells the unexplained variance 1 − R² may also reach 2.5× the
# manifest's (the resamples above: 99th percentile 1.8-2.3×; R² is noisier than the MAE on 96 cells).
R2_SLACK, UNEXPLAINED_ALLOWANCE = 0.02, {"gapped": 1.0, "general": 2.5}


@pytest.mark.parametrize("name", PHOTONIC)
def test_photonic_checkpoint_metrics_hold_on_fresh_cells(name, request):
    config = cell_config(name)
    if config not in MAE_ALLOWANCE:
        pytest.fail(f"{name}: no fresh-cell fixture for {SHIPPED[name]['dataset']}: add one like fresh_general_cells")
    data, families = request.getfixturevalue(f"fresh_{config}_cells")
    expected = SHIPPED[name]["test_metrics"]
    expected_by_family = SHIPPED[name].get("test_metrics_by_family", {})
    pred = keras_imnn.load(name).predict(data.x, batch_size=256, verbose=0)
    mae, r2 = weighted_mae_r2(data.y, pred, data.weight)
    errors = np.abs(pred - data.y)[:, 0]
    per_family = {f: float(np.mean(errors[families == f])) for f in dict.fromkeys(families.tolist())}
    shown = {f: round(m, 4) for f, m in per_family.items()}
    report = f"{name} on fresh {config} cells: MAE {mae:.4f}, R² {r2:.4f}, per family {shown}; manifest {expected}"
    assert mae < MAE_ALLOWANCE[config] * expected["mae"], report
    unexplained = 1.0 - expected["r2"]
    assert 1.0 - r2 < max(unexplained + R2_SLACK, UNEXPLAINED_ALLOWANCE[config] * unexplained), report
    if len(per_family) > 1:
        for family, family_mae in per_family.items():
            # Families differ several-fold (photonic_inv_dilated: ring 0.0009, rectangle 0.0164): each against its own.
            manifest_mae = expected_by_family.get(family, expected)["mae"]
            assert family_mae < FAMILY_MAE_ALLOWANCE * manifest_mae, (
                f"family {family}: MAE {family_mae:.4f}, manifest {manifest_mae}; {report}")


# 48 cells: allowance for sampling noise around the manifest's median relative error of the 32 edges.
MEDIAN_REL_ERR_ALLOWANCE = 1.3


@pytest.mark.parametrize("name", EDGES)
def test_band_edge_checkpoint_metrics_hold_on_fresh_cells(name, request):
    config = cell_config(name)
    if config != "general":
        pytest.fail(f"{name}: no fresh band-edge fixture for {SHIPPED[name]['dataset']}: add one like "
                    f"fresh_general_edges")
    data, families = request.getfixturevalue(f"fresh_{config}_edges")
    expected = SHIPPED[name]["test_metrics"]
    task = TASKS["photonic_edges"]
    pred = keras_imnn.load(name).predict(data.x, batch_size=256, verbose=0)
    metrics = task.score(data.y, pred)
    per_family = {f: round(task.score(data.y[families == f], pred[families == f])["median_rel_err"], 4)
                  for f in dict.fromkeys(families.tolist())}
    report = f"{name} on fresh {config} cells: {metrics}; per-family median_rel_err {per_family}; manifest {expected}"
    assert metrics["median_rel_err"] < MEDIAN_REL_ERR_ALLOWANCE * expected["median_rel_err"], report


@pytest.mark.parametrize("name", PHOTONIC + EDGES)
def test_the_shipped_std_covers_the_solvers_errors_on_fresh_cells(name, request):
    """Calibrated on other cells, 2 std covers about 95 % of the errors on fresh ones (here 0.87-0.99), without
    being merely wide: the mean std stays a few MAEs and ranks the errors on the general mix."""
    config = cell_config(name)
    data, _ = request.getfixturevalue(f"fresh_{config}_{'edges' if name in EDGES else 'cells'}")
    result = keras_imnn.predict(name, data.x)
    err = result.mean - data.y
    coverage, spearman = cal.coverage(err, result.std), cal.spearman(result.std, err)
    width = result.std.mean() / np.abs(err).mean()
    report = f"{name}: coverage {coverage:.3f}, Spearman {spearman:.2f}, mean std / MAE {width:.2f}"
    assert coverage > 0.8, report
    assert width < 5, report
    assert config != "general" or spearman > 0.3, report


def test_demo_shows_many_kinds_of_cells_close_to_the_solver(tmp_path):
    result = run_demo(out=tmp_path / "demo.png")
    assert (tmp_path / "demo.png").stat().st_size > 10_000
    n = len(result["eps"])
    assert n == 8 and result["eps"].shape == (n, 32, 32) and result["model"].shape == result["solver"].shape == (n,)
    assert {"gapped", "sibcl", "circle", "ring", "several"} <= set(result["family"]), result["family"]
    assert len(set(result["family"])) >= 6
    # Loose: the gapped-only checkpoint is off by 0.023 on average on these 8 cells; a model predicting false
    # gaps on the non-gapped ones (photonic_inv today: 0.23), or the mean gap, is off by ≈ 0.1 or more.
    assert np.mean(np.abs(result["model"] - result["solver"])) < 0.06


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
    metrics = evaluate_arrays(keras_imnn.load(name), fresh_magnet_states, get_task("classification"))
    assert abs(metrics["accuracy"] - expected["accuracy"]) < 0.04, (metrics, expected)
    assert metrics["sign_overlap"] > expected["sign_overlap"] - 0.1, (metrics, expected)


def test_demo_command(tmp_path, capsys):
    from keras_imnn.cli import main

    assert main(["demo", "--n", "2", "--out", str(tmp_path / "d.png")]) == 0
    out = capsys.readouterr().out
    assert "mean |error|" in out and "family" in out and (tmp_path / "d.png").exists()
    with pytest.raises(SystemExit) as usage:  # argparse refuses it before any work
        main(["demo", "--n", "0"])
    assert usage.value.code == 2
