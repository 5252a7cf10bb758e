"""Band edges: ordered by construction, gaps from one place, and the task's data, training and scoring."""
import json

import keras
import numpy as np
import pytest

import keras_imnn
from keras_imnn.cli import main
from keras_imnn.layers import BandEdges, RelativeAbsoluteError
from keras_imnn.models.builders import feature_width
from keras_imnn.models.config import ModelConfig
from keras_imnn.models.registry import get_spec
from keras_imnn.physics.photonic.solver import band_gaps, band_structure, k_grid
from keras_imnn.tasks import TASKS, get_task, task_of_dataset
from keras_imnn.tasks.photonic_edges import named_quantities
from keras_imnn.tasks.photonic_gap import gap_to_midgap
from keras_imnn.training.data.loading import arrays_from_examples
from keras_imnn.training.loop.evaluation import evaluate_arrays
from keras_imnn.training.loop.train import fit
from keras_imnn.training.settings import TrainSettings

EDGE_MODELS = ["photonic_edges_inv_dilated", "photonic_edges_cnn"]


def assert_ordered(edges):
    """The consistency of band edges (``physics.photonic.dataset.band_edges``): 0 ≤ min_b ≤ max_b, and mins and
    maxes rise with b."""
    e = np.asarray(edges).reshape(-1, 2, 8, 2)
    lo, hi = e[..., 0], e[..., 1]
    assert (lo[..., 0] >= 0).all() and (hi >= lo).all()
    assert (lo[..., 1:] >= lo[..., :-1]).all() and (hi[..., 1:] >= hi[..., :-1]).all()


def solver_edges(eps):
    """(bands per polarization, edges (b, 32)) of cells on a coarse grid: enough to check the arithmetic."""
    bands = {pol: band_structure(eps, k_grid(4), n_bands=8, polarization=pol, n_max=3, progress=False)
             for pol in ("tm", "te")}
    edges = np.stack([np.stack([b.min(axis=-2), b.max(axis=-2)], axis=-1) for b in bands.values()], axis=1)
    return bands, edges.reshape(len(eps), 32)


@pytest.fixture(scope="module")
def labelled_cells():
    """12 cells of 8×8 pixels (rods of ε 9 of random radius in air) with solver band edges."""
    rng = np.random.default_rng(1)
    r = np.hypot(*np.meshgrid(np.arange(8) - 3.5, np.arange(8) - 3.5, indexing="ij"))
    eps = np.stack([np.where(r < radius, 9.0, 1.0) for radius in rng.uniform(1.0, 3.5, 12)])
    return eps.astype("float32"), solver_edges(eps)[1].astype("float32")


@pytest.mark.parametrize("scale", [0.1, 1.0, 10.0, 100.0])
def test_the_layer_orders_any_pre_activations(rng, scale):
    z = rng.normal(scale=scale, size=(64, 32)).astype("float32")
    edges = keras.ops.convert_to_numpy(BandEdges()(z))
    assert edges.shape == (64, 32) and np.isfinite(edges).all()
    assert_ordered(edges)


def test_the_layer_orders_extreme_and_infinite_pre_activations(rng):
    extremes = np.array([-1e30, -1e4, -30.0, 0.0, 30.0, 1e4, 1e30], "float32")
    edges = keras.ops.convert_to_numpy(BandEdges()(rng.choice(extremes, size=(256, 32))))
    assert np.isfinite(edges).all()
    assert_ordered(edges)
    with_inf = rng.choice(np.append(extremes, [-np.inf, np.inf]).astype("float32"), size=(256, 32))
    edges = keras.ops.convert_to_numpy(BandEdges()(with_inf))
    assert not np.isnan(edges).any()
    assert_ordered(edges)


def test_the_layer_keeps_the_layout_and_refuses_other_widths():
    # All free values 0 but band 3's width: only TM b3 max and the maxes above it move.
    z = np.zeros((1, 32), "float32")
    z[0, 5] = 5.0
    base, moved = (keras.ops.convert_to_numpy(BandEdges()(v)).reshape(2, 8, 2) for v in (np.zeros_like(z), z))
    changed = np.argwhere(~np.isclose(base, moved))
    assert changed.tolist() == [[0, b, 1] for b in range(2, 8)]
    with pytest.raises(ValueError, match="multiple of 4"):
        BandEdges()(np.zeros((2, 30), "float32"))
    with pytest.raises(ValueError, match="multiple of 4"):
        ModelConfig(arch="inv", input_shape=(8, 8, 1), outputs=30, head="band_edges")
    with pytest.raises(ValueError, match="head must be one of"):
        ModelConfig(arch="inv", input_shape=(8, 8, 1), head="edges")


@pytest.mark.parametrize("name", EDGE_MODELS)
def test_zoo_models_give_ordered_edges_for_random_weights(name, rng):
    model = keras_imnn.load(name, weights=None, filters=4)
    x = rng.uniform(1.0, 20.0, size=(8, 32, 32, 1)).astype("float32")
    for gain in (1.0, 30.0):  # 30: pre-activations in the thousands
        model.set_weights([gain * w for w in model.get_weights()])
        y = model.predict(x, verbose=0)
        assert y.shape == (8, 32) and np.isfinite(y).all()
        assert_ordered(y)
    x[2, 0, 0, 0] = np.nan  # the NaN guard stays
    y = model.predict(x, verbose=0)
    assert np.isnan(y[2]).all() and np.isfinite(np.delete(y, 2, axis=0)).all()
    headless = keras_imnn.load(name, weights=None, include_top=False, filters=4)
    assert headless.predict(x[:2], verbose=0).shape == (2, feature_width(get_spec(name).config.replace(filters=4)))
    assert not any(isinstance(layer, BandEdges) for layer in headless.layers)


def test_saved_models_and_losses_round_trip(rng, tmp_path):
    model = keras_imnn.load("photonic_edges_inv_dilated", weights=None, input_shape=(8, 8, 1), filters=4)
    x = rng.uniform(1.0, 20.0, size=(3, 8, 8, 1)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert isinstance(loaded.get_layer("band_edges"), BandEdges)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    loss = keras.losses.deserialize(keras.losses.serialize(RelativeAbsoluteError(floor=0.05)))
    assert isinstance(loss, RelativeAbsoluteError) and loss.floor == 0.05
    # |0.1 − 0.0| / 0.05 and |0.99 − 1.0| / 1.05, averaged.
    value = loss(np.array([[0.0, 1.0]]), np.array([[0.1, 0.99]]))
    assert float(value) == pytest.approx((2.0 + 0.01 / 1.05) / 2, rel=1e-5)
    # Weighted: the same terms, 3 : 1.
    weighted = keras.losses.deserialize(keras.losses.serialize(RelativeAbsoluteError(floor=0.05, weights=[3, 1])))
    assert weighted.weights == [3.0, 1.0]
    value = weighted(np.array([[0.0, 1.0]]), np.array([[0.1, 0.99]]))
    assert float(value) == pytest.approx((3 * 2.0 + 0.01 / 1.05) / 4, rel=1e-5)
    for bad in ([0, 0], [1, -1], [[1, 1]], [1, np.nan]):
        with pytest.raises(ValueError, match="one finite non-negative weight per output"):
            RelativeAbsoluteError(weights=bad)


def test_a_gap_objective_weighs_half_the_loss_on_its_edges():
    from dataclasses import replace

    from keras_imnn.design.objectives import GapObjective

    weights = np.asarray(GapObjective("te", (1, 2)).edge_weights())
    focus = np.flatnonzero(weights != 1)
    assert focus.tolist() == [17, 18]  # TE band 1 max, TE band 2 min
    assert weights[focus].sum() == pytest.approx(weights.sum() / 2)
    both = np.asarray(GapObjective("both", (3, 4)).edge_weights())
    assert np.flatnonzero(both != 1).tolist() == [5, 6, 21, 22]
    task = replace(get_task("photonic_edges"), edge_weights=tuple(weights))
    assert task.loss().weights == pytest.approx(weights.tolist())


def test_named_quantities_are_the_solvers_gaps(labelled_cells):
    eps = labelled_cells[0][:3].astype("float64")
    bands, edges = solver_edges(eps)
    named = named_quantities(edges)
    for pol, b in bands.items():
        gaps, midgaps = band_gaps(b)
        assert named[pol]["edges"].shape == (3, 8, 2) and named[pol]["gaps"].shape == (3, 7)
        np.testing.assert_allclose(named[pol]["edges"][..., 0], b.min(axis=-2))
        np.testing.assert_allclose(named[pol]["gaps"], gaps, atol=1e-12)
        np.testing.assert_allclose(named[pol]["midgaps"], midgaps, atol=1e-12)
        np.testing.assert_allclose(named[pol]["gap_to_midgap"], gap_to_midgap(gaps, midgaps), atol=1e-6)
    assert named["tm"]["gaps"].max() > 0  # rods of ε 9 open TM gaps: the comparison is not all zeros
    one = named_quantities(edges[0])
    assert one["te"]["edges"].shape == (8, 2) and one["te"]["gaps"].shape == (7,)
    assert_ordered(edges)  # the solver's edges are as consistent as the models'


def test_the_models_task_picks_the_labels_of_shared_data(labelled_cells):
    eps, edges = labelled_cells
    examples = {"eps": eps, "band_edges": edges, "tm_gap": np.zeros(12), "tm_midgap": np.ones(12)}
    assert arrays_from_examples(examples).y.shape == (12, 1)  # no model: the family's first task (gaps)
    assert arrays_from_examples(examples, task=get_task("photonic_edges")).y.shape == (12, 32)
    assert task_of_dataset("photonic_crystals/general") is TASKS["photonic"]
    assert task_of_dataset("photonic_crystals/general", "photonic_edges") is TASKS["photonic_edges"]
    assert task_of_dataset("photonic_crystals/gapped", "magnet") is TASKS["photonic"]
    with pytest.raises(ValueError, match="photonic_edges targets are the 32 band edges"):
        TASKS["photonic_edges"].check_y(np.ones((4, 1)))


def test_the_task_trains_and_scores(labelled_cells):
    eps, edges = labelled_cells
    data = TASKS["photonic_edges"].arrays({"eps": eps, "band_edges": edges})
    model = keras_imnn.load("photonic_edges_inv_dilated", weights=None, input_shape=(8, 8, 1), filters=4)
    history = fit(model, data, task=get_task("photonic_edges"),
                  settings=TrainSettings(epochs=8, batch_size=4, learning_rate=3e-3, verbose=0))
    loss = history.history["loss"]
    assert loss[-1] < 0.8 * loss[0]
    metrics = evaluate_arrays(model, data, get_task("photonic_edges"))
    assert {"mae", "median_rel_err", "tm_bands_1_4_median_rel_err", "te_bands_5_8_median_rel_err",
            "tm_gap_to_midgap_mae", "te_has_gap_accuracy"} <= set(metrics)
    assert all(np.isfinite(v) for v in metrics.values())
    perfect = TASKS["photonic_edges"].score(edges, edges)
    assert perfect["mae"] == 0 and perfect["median_rel_err"] == 0 and perfect["tm_has_gap_accuracy"] == 1


def test_cli_evaluate_and_finetune_take_the_task_from_the_model(labelled_cells, tmp_path, capsys):
    eps, edges = labelled_cells
    np.savez(tmp_path / "cells.npz", eps=eps, band_edges=edges, tm_gap=np.zeros(12), tm_midgap=np.ones(12))
    model = keras_imnn.load("photonic_edges_cnn", weights=None, input_shape=(8, 8, 1), filters=4)
    model.save(tmp_path / "edges.keras")
    assert main(["evaluate", str(tmp_path / "edges.keras"), "--data", str(tmp_path / "cells.npz")]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["task"] == "photonic_edges" and "te_bands_1_4_median_rel_err" in printed["metrics"]
    assert main(["finetune", str(tmp_path / "edges.keras"), "--data", str(tmp_path / "cells.npz"),
                 "--out", str(tmp_path / "ft"), "--epochs", "1"]) == 0
    run = json.loads((tmp_path / "ft" / "run.json").read_text())
    assert run["task"] == "photonic_edges" and "tm_gap_to_midgap_mae" in run["validation_metrics"]


def test_free_photon_edges_bound_every_cells_edges(rng):
    from keras_imnn.physics.photonic.cells import rods
    from keras_imnn.physics.photonic.dataset import SolverSettings, free_photon_edges, label_cells

    vacuum = free_photon_edges()
    assert_ordered(vacuum)
    settings = SolverSettings(n_max=3)  # 49 plane waves: fast, and the bound is the operator's, not the basis's
    uniform = label_cells(np.stack([np.ones((32, 32)), np.full((32, 32), 4.0)]), settings)["band_edges"]
    np.testing.assert_allclose(uniform, [vacuum, vacuum / 2], atol=1e-6)  # ω of a uniform cell scales as 1/√ε
    eps = np.stack([rods(0.3, 9.0), 1 + 11 * (rng.random((32, 32)) > 0.5), rng.uniform(2, 5, (32, 32))])
    edges = label_cells(eps, settings)["band_edges"]
    flat = eps.reshape(len(eps), -1)
    assert (edges >= vacuum / np.sqrt(flat.max(1))[:, None] - 1e-6).all()
    assert (edges <= vacuum / np.sqrt(flat.min(1))[:, None] + 1e-6).all()
    assert (edges[:, 1:] < vacuum[1:] / np.sqrt(flat.min(1))[:, None]).mean() > 0.9  # a bound, not the answer


def test_predict_keeps_the_edges_where_physics_puts_them():
    from keras_imnn.physics.photonic.cells import rods
    from keras_imnn.physics.photonic.dataset import free_photon_edges

    x = np.stack([rods(0.3, 1e6), np.full((32, 32), 4.0), rods(0.2, 8.9)]).astype("float32")
    with pytest.warns(keras_imnn.DomainWarning):
        mean = keras_imnn.predict("photonic_edges_inv_dilated", x).mean
    raw = keras_imnn.load("photonic_edges_inv_dilated").predict(x[..., None], verbose=0)
    vacuum = free_photon_edges()
    assert (raw[0] > vacuum).any() and (mean[0] <= vacuum).all()  # ε ≥ 1 never raises a band above vacuum's
    np.testing.assert_allclose(mean[1], vacuum / 2, rtol=1e-6)  # a uniform cell: the bounds meet
    assert_ordered(mean)
    assert np.abs(mean[2] - raw[2]).max() < 0.01  # an ordinary cell keeps its prediction
