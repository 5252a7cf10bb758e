"""The J2-scan generalization helpers (benchmarks/magnet_generalization.py): data, run order, resuming, summaries."""
import json
import time
from dataclasses import replace

import numpy as np
import pytest

from keras_imnn.training.experiments import generalization as gen
from keras_imnn.training.settings import TrainSettings

POINT = ("square", (4, 4), 0.5)


def test_lattice_group_is_the_largest_group_keeping_both_bond_sets():
    assert gen.lattice_group("square", (6, 4)) == "d2"
    assert gen.lattice_group("square", (4, 4)) == "d4"
    # J2 on the (+1, +1) diagonal only: the axis mirrors and 90° rotations map it onto the other diagonal.
    assert gen.lattice_group("triangular", (6, 4)) == "c2"
    assert gen.lattice_group("triangular", (4, 4)) == "c2"


def test_runs_go_seed_major_with_each_models_own_number_of_seeds():
    points = [("square", (6, 4), 0.0), ("square", (6, 4), 0.5)]
    runs = gen.scan_runs(points, {"magnet_dense": 2, "magnet_inv": 1})
    assert runs == [(0, points[0], "magnet_dense"), (0, points[0], "magnet_inv"),
                    (0, points[1], "magnet_dense"), (0, points[1], "magnet_inv"),
                    (1, points[0], "magnet_dense"), (1, points[1], "magnet_dense")]


def test_scan_point_splits_as_the_dataset_protocol_and_caches(tmp_path, monkeypatch):
    from keras_imnn.physics.magnet.ed import ground_state, spins_to_states
    from keras_imnn.physics.magnet.sampling import split_indices

    point = gen.scan_point(*POINT, train_fraction=0.02, test_size=300, cache_dir=tmp_path)
    (cached,) = tmp_path.iterdir()
    assert cached.name == "square_4x4_j2_0.5_eps_0.02_test_300_seed_0.npz"
    gs = ground_state(*POINT, progress=False)
    splits = split_indices(gs.weights, 0.02, 300, 0)  # the exact split of `keras-imnn generate magnet`
    train_states = np.sort(np.concatenate([spins_to_states(point.train.x.astype(np.uint8)),
                                           spins_to_states(point.validation.x.astype(np.uint8))]))
    np.testing.assert_array_equal(train_states, gs.states[splits["train"]])
    np.testing.assert_array_equal(spins_to_states(point.test.x.astype(np.uint8)), gs.states[splits["test"]])
    np.testing.assert_array_equal(point.test.y[:, 0], gs.signs[splits["test"]])
    np.testing.assert_allclose(point.test.weight, gs.weights[splits["test"]], rtol=1e-6)
    assert len(point.validation) == round(0.1 * len(splits["train"]))
    assert point.meta["group"] == "d4" and point.meta["invariance_violation"] == 0.0
    assert 0 < point.meta["marshall_violation"] < 0.5

    monkeypatch.setattr(gen, "_compute_point", lambda *a: pytest.fail("recomputed a cached point"))
    again = gen.scan_point(*POINT, train_fraction=0.02, test_size=300, cache_dir=tmp_path)
    np.testing.assert_array_equal(again.train.x, point.train.x)
    assert again.meta == point.meta
    cached.rename(tmp_path / "square_4x4_j2_0.5_eps_0.02_test_300_seed_1.npz")  # a file under a wrong name
    with pytest.raises(ValueError, match="holds another scan point.*split_seed"):
        gen.scan_point(*POINT, train_fraction=0.02, test_size=300, split_seed=1, cache_dir=tmp_path)


def test_an_invariant_model_of_a_sign_structure_that_a_symmetry_flips_cannot_be_exact():
    from keras_imnn.physics.magnet.ed import ground_state

    gs = ground_state("square", (4, 4), 0.0, progress=False)
    assert gen.sign_invariance_violation(gs, "d4") == 0.0
    tied = replace(gs, amplitudes=gs.amplitudes * np.where(gs.states & 1, -1.0, 1.0))  # a sign tied to site 0
    assert gen.sign_invariance_violation(tied, "trivial") > 0.1  # which the translations move


def test_run_scan_appends_labelled_runs_resumes_them_and_refuses_other_settings(tmp_path):
    point = gen.scan_point(*POINT, train_fraction=0.01, test_size=100, cache_dir=tmp_path / "data")
    path, lines = tmp_path / "results.json", []
    settings = TrainSettings(epochs=1, batch_size=32, patience=1, verbose=0)
    kwargs = dict(settings=lambda model: settings, results_path=path, log=lines.append)
    results = gen.run_scan([POINT], {"magnet_inv": 1}, lambda p: point, **kwargs)
    (record,) = results
    assert record["variant"] == "magnet_inv @ square 4x4 J2=0.5" and record["seed"] == 0
    assert (record["model"], record["lattice"], record["shape"], record["j2"]) == ("magnet_inv", "square", [4, 4], 0.5)
    assert record["group"] == "d4" and record["config"]["group"] == "d4"  # the lattice's group, not the zoo's d2
    assert record["settings"] == settings.record() and record["seconds"] > 0
    assert set(record["test_metrics"]) == {"accuracy", "sign_overlap"}
    assert json.loads(path.read_text()) == results and len(lines) == 1

    def no_data(p):
        raise AssertionError("a finished run was retrained")

    assert gen.run_scan([POINT], {"magnet_inv": 1}, no_data, **kwargs) == results
    with pytest.raises(ValueError, match="trained with .*'epochs': 1.*'epochs': 2"):
        gen.run_scan([POINT], {"magnet_inv": 1}, no_data, settings=lambda m: TrainSettings(epochs=2),
                     results_path=path)
    cut = gen.run_scan([POINT], {"magnet_inv": 2}, no_data, deadline=time.monotonic() - 1, **kwargs)
    assert cut == results and "time budget reached before run 2/2" in lines[-1]


def _records():
    runs = []
    for j2, overlaps in ((0.0, {"magnet_dense": [0.6, 0.8], "magnet_inv": [1.0]}), (0.5, {"magnet_dense": [0.2, 0.4]})):
        for model, values in overlaps.items():
            for seed, v in enumerate(values):
                runs.append({"variant": gen.run_label(model, ("square", (6, 4), j2)), "n_train": 100, "seed": seed,
                             "model": model, "lattice": "square", "shape": [6, 4], "j2": j2,
                             "test_metrics": {"sign_overlap": v, "accuracy": (1 + v) / 2}})
    return runs


def test_tables_and_plot_give_mean_and_spread_per_model_and_j2(tmp_path):
    meta = {"shape": [6, 4], "train_fraction": 0.01, "n_states": 2704156, "test_size": 5000, "group": "d2",
            "marshall_violation": 0.0, "invariance_violation": 0.0}
    metas = {("square", (6, 4), 0.0): meta, ("square", (6, 4), 0.5): {**meta, "marshall_violation": 0.018}}
    stats = gen.scan_stats(_records())
    assert stats[("square", 0.0, "magnet_dense", "sign_overlap")] == pytest.approx((0.7, 0.1, 2))
    table = gen.scan_tables(_records(), metas)
    assert "| 0 | 0.000 | 0.000 | 0.700 ± 0.100 (2) | 1.000 ± 0.000 (1) |" in table
    assert "| 0.5 | 0.018 | 0.000 | 0.300 ± 0.100 (2) | — |" in table
    assert "magnet_cnn" not in table  # models without runs get no column
    gen.plot_scan(_records(), metas, "square", tmp_path / "square.png")
    assert (tmp_path / "square.png").stat().st_size > 10_000
