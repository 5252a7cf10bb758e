"""Inverse design through the surrogate (keras_imnn.design): the result's invariants, argument faults, the
objectives' arithmetic, the fabrication check and the `keras-imnn design` command."""
from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from keras_imnn.cli import main
from keras_imnn.design import GapObjective, maximize_gap
from keras_imnn.design.labels import solver_labels, solver_settings
from keras_imnn.design.loop import initial_latents
from keras_imnn.design.parameterization import (
    DensityMap,
    boundary,
    boundary_flips,
    d4_average,
    enforce_min_feature,
    from_orbit_values,
    min_feature_ok,
    orbit_values,
)
from keras_imnn.design.relaxation import relax_tm_gap
from keras_imnn.domain import PhotonicDomain
from keras_imnn.errors import UserError
from keras_imnn.physics.photonic.cells import rods
from keras_imnn.physics.photonic.dataset import edge_gaps
from keras_imnn.physics.photonic.solver import band_gaps, band_structure, k_grid
from keras_imnn.physics.photonic.tm_gradient import tm_bands_with_gradient

# A run in seconds: 2 starts, 2 β stages of 3 steps, 2 rounds (one fine-tuning of 1 epoch).
SMALL = dict(starts=2, steps=3, betas=(4.0, 64.0), rounds=2, replay=2, finetune_epochs=1, progress=False)


@pytest.fixture(scope="module")
def small_run():
    return maximize_gap(eps=(1.0, 12.0), seed=0, tolerance=1e-9, **SMALL)  # never agrees: both rounds run


def test_result_is_a_two_tone_cell_in_domain_with_both_numbers(small_run):
    r = small_run
    assert r.eps.shape == (32, 32) and set(np.unique(r.eps)) == {1.0, 12.0}
    assert PhotonicDomain().check(r.eps[None])[0][0] and r.in_domain
    assert np.isfinite(r.predicted) and 0 <= r.verified < 1 and r.verified_midgap > 0
    assert r.verified == pytest.approx(solver_labels(r.eps[None], edges_model=False)[0][0, 0], abs=1e-6)
    assert r.predicted == pytest.approx(float(r.model.predict(r.eps[None, ..., None], verbose=0)[0, 0]), abs=1e-5)
    np.testing.assert_array_equal(r.eps, r.eps.T)  # D4-symmetric by default
    assert r.summary()["rounds"] == 2


def test_history_fields_are_monotone(small_run):
    h = small_run.history
    np.testing.assert_array_equal(h.step, np.arange(len(h.step)))
    assert h.surrogate.shape == (len(h.step), 2)
    assert np.all(np.diff(h.round) >= 0)
    for r in np.unique(h.round):
        assert np.all(np.diff(h.beta[h.round == r]) >= 0)
    assert np.all(np.diff(h.seconds) > 0) and np.all(np.diff(h.best_verified) >= 0)
    assert np.all(np.diff(h.labelled) >= 0) and h.labelled[0] > 0
    # Each round adds at most 4 designs (2 starts, 2 β stages; then 1): the rest are the best design's neighbours.
    assert h.labelled[0] > 4 and h.labelled[1] - h.labelled[0] > 2
    assert h.best_verified[-1] == pytest.approx(small_run.score)


def test_designs_are_verified_at_the_cutoff_of_the_surrogates_labels(small_run):
    assert small_run.solver.cutoff("tm") == solver_settings("photonic_crystals/general").cutoff("tm") == 7
    assert small_run.summary()["n_max_tm"] == small_run.summary()["n_max_te"] == 7
    assert solver_settings("photonic_crystals/gapped").cutoff("tm") == 5  # that dataset's: the solver's default
    at_5 = band_gaps(band_structure(small_run.eps, k_grid(16), 2, "tm", n_max=5))
    assert small_run.verified != pytest.approx(float(at_5[0][0] / at_5[1][0]), abs=1e-9)


def test_neighbours_flip_boundary_orbits_and_stay_symmetric():
    mask = rods(0.2, 12.0) > 1
    rng = np.random.default_rng(0)
    edge = boundary(mask)
    for v in boundary_flips(mask, 20, rng, symmetric=True):
        changed = v != mask
        assert changed.any() and np.all(edge[changed])
        assert np.array_equal(v, v.T) and np.array_equal(v, v[::-1])
    assert all(1 <= (v != mask).sum() <= 3 for v in boundary_flips(mask, 20, rng, symmetric=False))


def test_a_short_run_improves_the_verified_gap_over_its_starts():
    dmap = DensityMap((1.0, 12.0), 2.0, True)
    starts = dmap.cells(dmap.binary(initial_latents(2, 3)))
    start_gap = solver_labels(starts, edges_model=False)[0].max()
    r = maximize_gap(eps=(1.0, 12.0), seed=3, starts=2, steps=15, betas=(4.0, 16.0, 64.0), rounds=1, replay=0,
                     progress=False)
    assert r.verified > start_gap + 0.02, (start_gap, r.verified)


@pytest.mark.parametrize("kwargs, message", [
    (dict(eps=(12.0, 1.0)), "ε_min < ε_max"),
    (dict(eps=(1.0, 30.0)), "training range"),
    (dict(eps=(0.5, 12.0)), "training range"),
    (dict(eps=(1.0,)), "two numbers"),
    (dict(polarization="tx"), "polarization must be one of"),
    (dict(bands=(1, 3)), "consecutive"),
    (dict(bands=(8, 9)), "consecutive"),
    (dict(starts=0), "starts must be an integer >= 1"),
    (dict(steps=2.5), "steps must be an integer"),
    (dict(rounds=0), "rounds must be"),
    (dict(betas=(8.0, 2.0)), "non-decreasing"),
    (dict(tolerance=-1), "tolerance must be a positive"),
    (dict(neighbours=-1), "neighbours must be an integer >= 0"),
    (dict(min_feature=20), "min_feature must be"),
    (dict(target_frequency=0.0), "target_frequency must be"),
    (dict(model="photonic_inv_dilated", polarization="te"), "needs a band-edge model"),
    (dict(model="magnet_cnn"), "photonic zoo model"),
])
def test_arguments_are_refused_in_one_line(kwargs, message):
    with pytest.raises(ValueError, match=message) as err:
        maximize_gap(progress=False, **kwargs)
    assert "\n" not in str(err.value)


def test_an_unsupported_backend_is_refused(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    with pytest.raises(UserError, match="tensorflow and jax; got KERAS_BACKEND=torch"):
        maximize_gap(progress=False)


def test_objective_arithmetic_matches_the_datasets():
    edges = np.random.default_rng(0).uniform(0.1, 1.0, (5, 32))
    edges = np.sort(edges.reshape(5, 2, 16), axis=-1).reshape(5, 32)  # ordered, some gaps open
    gaps, midgaps = edge_gaps(edges)
    for p, pol in enumerate(("tm", "te")):
        for b in (1, 4):
            ratio, mid = GapObjective(pol, (b, b + 1)).ratio_and_midgap(edges.reshape(5, 2, 8, 2))
            np.testing.assert_allclose(np.maximum(keras.ops.convert_to_numpy(ratio), 0),
                                       gaps[:, p, b - 1] / midgaps[:, p, b - 1], rtol=1e-6)
            np.testing.assert_allclose(keras.ops.convert_to_numpy(mid), midgaps[:, p, b - 1], rtol=1e-6)
    # A complete gap is the overlap of the TM and TE gaps.
    e = np.zeros((1, 2, 8, 2))
    e[0, 0, 0, 1], e[0, 0, 1, 0], e[0, 1, 0, 1], e[0, 1, 1, 0] = 0.3, 0.5, 0.4, 0.6
    ratio, mid = GapObjective("both", (1, 2)).ratio_and_midgap(e)
    assert float(ratio[0]) == pytest.approx(0.1 / 0.45) and float(mid[0]) == pytest.approx(0.45)
    target = GapObjective("both", (1, 2), target_frequency=0.5)
    assert float(target.score(ratio, mid)[0]) == pytest.approx(0.1 / 0.45 - 0.1)


def test_d4_average_and_binary_cells_are_symmetric():
    x = np.random.default_rng(1).normal(size=(2, 32, 32)).astype("float32")
    sym = keras.ops.convert_to_numpy(d4_average(x))
    np.testing.assert_allclose(sym, sym[:, ::-1], atol=1e-6)
    np.testing.assert_allclose(sym, np.swapaxes(sym, 1, 2), atol=1e-6)
    mask = DensityMap((1.0, 12.0), 2.0, True).binary(x)
    assert mask.dtype == bool and np.array_equal(mask, mask[:, :, ::-1])
    # The 136 orbit values of a D4-symmetric latent (the gradient-free searches' variables) round-trip.
    values = orbit_values(sym)
    assert values.shape == (2, 136)
    np.testing.assert_allclose(from_orbit_values(values), sym, atol=1e-6)


def test_min_feature_check_and_enforcement():
    rod = rods(0.25, 12.0) > 1
    line = np.zeros((32, 32), bool)
    line[10:12] = True  # a 2-pixel wide wall
    assert min_feature_ok(np.stack([rod, line]), 4).tolist() == [True, False]
    fixed = enforce_min_feature(line[None], 4)
    assert min_feature_ok(fixed, 4)[0]
    r = maximize_gap(eps=(1.0, 12.0), min_feature=4, **{**SMALL, "rounds": 1})
    assert r.min_feature_ok and min_feature_ok(r.eps[None] > 1, 4)[0]


def test_other_objectives_run_through_the_edges_model():
    r = maximize_gap(eps=(1.0, 12.0), polarization="both", bands=(1, 2), target_frequency=0.4,
                     **{**SMALL, "rounds": 1, "starts": 1})
    assert r.model.output_shape[-1] == 32 and r.predicted_midgap is not None
    _, edges = solver_labels(r.eps[None], edges_model=True)
    ratio, mid = r.objective.ratio_and_midgap(edges)
    assert r.score == pytest.approx(float(r.objective.score(ratio, mid)[0]), abs=1e-6)  # signed: may be < 0
    assert r.verified == pytest.approx(max(float(ratio[0]), 0.0), abs=1e-6)
    assert r.verified_midgap == pytest.approx(float(mid[0]), abs=1e-6)


def test_cli_writes_the_cell_its_plots_and_summary(tmp_path, capsys):
    out = tmp_path / "design"
    code = main(["design", "--eps", "1", "12", "--polarization", "tm", "--bands", "1", "2", "--starts", "1",
                 "--steps", "2", "--rounds", "1", "--replay", "0", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["cell.npz", "cell.png", "bands.png", "history.png", "design.json"])
    with np.load(out / "cell.npz") as f:
        assert f["eps"].shape == (32, 32) and set(np.unique(f["eps"])) == {1.0, 12.0}
        assert f["predicted_edges"].shape == (32,)
    summary = json.loads((out / "design.json").read_text())
    assert summary["verified"] == pytest.approx(float(np.load(out / "cell.npz")["verified"]))
    assert "solver" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--eps", "12", "1"], "ε_min < ε_max"),
    (["--eps", "1", "40"], "training range"),
    (["--bands", "1", "3"], "consecutive"),
    (["--polarization", "te", "--model", "photonic_inv_dilated"], "needs a band-edge model"),
])
def test_cli_faults_are_one_line_exit_2(tmp_path, capsys, argv, message):
    code = main(["design", *argv, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("keras-imnn design: error:") and message in err and "\n" not in err
    assert not (tmp_path / "o").exists()


def test_cli_refuses_a_non_empty_out_before_any_work(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("x")
    assert main(["design", "--out", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err


@pytest.mark.jax
def test_design_runs_under_jax():
    """Gradients and fine-tuning under the JAX backend too (Keras fixes its backend at import: a subprocess)."""
    pytest.importorskip("jax", reason="install the [test] extra to check the JAX backend")
    import os
    import subprocess
    import sys

    script = ("import keras; from keras_imnn.design import maximize_gap; assert keras.backend.backend() == 'jax'; "
              "r = maximize_gap(starts=1, steps=3, betas=(4.0, 64.0), rounds=2, replay=2, finetune_epochs=1, "
              "tolerance=1e-9, progress=False); print('ok', r.verified, r.history.labelled[-1])")
    run = subprocess.run([sys.executable, "-c", script], env={**os.environ, "KERAS_BACKEND": "jax"},
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0 and "ok" in run.stdout, run.stderr[-3000:]
    assert float(run.stdout.split()[-2]) > 0.2 and int(run.stdout.split()[-1]) >= 2


def test_cli_bad_budgets_are_usage_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["design", "--starts", "0", "--out", str(tmp_path / "o")])
    assert exit_.value.code == 2 and "--starts: must be an integer >= 1" in capsys.readouterr().err


def test_registering_the_design_command_imports_no_keras():
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", "import sys, keras_imnn.cli as c; c.build_parser(); "
                          "print(sorted(m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow')))"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stdout.strip() == "[]", run.stderr[-2000:]


def test_tm_band_gradients_match_the_solver_and_finite_differences():
    rng = np.random.default_rng(0)
    eps = 1.0 + 11.0 * rng.random((8, 8))
    k = np.array([[0.1, 0.23], [0.5, 0.2], [-0.5, -0.5], [0.3, -0.5]])  # inside, and on each kind of zone edge
    omega, grad = tm_bands_with_gradient(eps, k, 2, n_max=3)
    np.testing.assert_allclose(omega, band_structure(eps, k, 2, "tm", n_max=3, symmetry=False), rtol=1e-12)
    h = 1e-6
    for i, j in [(0, 0), (3, 5), (7, 2)]:
        step = np.zeros_like(eps)
        step[i, j] = h
        fd = (band_structure(eps + step, k, 2, "tm", n_max=3, symmetry=False)
              - band_structure(eps - step, k, 2, "tm", n_max=3, symmetry=False)) / (2 * h)
        np.testing.assert_allclose(grad[:, :, i, j], fd, rtol=1e-4, atol=2e-8)  # slopes ~1e-4


def test_relaxation_opens_a_two_tone_gap_from_a_uniform_cell():
    kw = dict(k_grid_n=8, n_max=4)
    r = relax_tm_gap(np.full((16, 16), 2.0), (1.0, 12.0), **kw)
    assert r.ratio > 0.35 and r.grey_fraction == 0.0  # the relaxation chose two tones by itself
    assert set(np.unique(r.cell)) == {1.0, 12.0}
    np.testing.assert_array_equal(r.cell, r.cell.T)
    gaps, mid = band_gaps(band_structure(r.cell, k_grid(8), 2, "tm", n_max=4))
    assert r.cell_ratio == pytest.approx(gaps[0] / mid[0], abs=1e-9)
    assert np.all(np.diff(r.ratios) >= 0)
    free = relax_tm_gap(np.full((16, 16), 2.0), (1.0, 12.0), symmetric=False, max_iter=5, **kw)
    assert free.ratio > 0.3


@pytest.mark.parametrize("args, message", [
    ((np.full((8, 8), 2.0), (12.0, 1.0)), "ε_min < ε_max"),
    ((np.full((8, 8), 20.0), (1.0, 12.0)), "start must be an"),
    ((np.full((8, 4), 2.0), (1.0, 12.0)), "start must be an"),
    ((np.full((8, 8), 2.0), (1.0, 12.0), (1, 3)), "consecutive"),
])
def test_relaxation_arguments_are_refused_in_one_line(args, message):
    with pytest.raises(ValueError, match=message):
        relax_tm_gap(*args)
