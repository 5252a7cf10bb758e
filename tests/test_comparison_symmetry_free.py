"""Band edges on cells without point symmetry, five variants (the symmetry-free filter,
the variants, the log-log learning curves and the script's wiring; no training)."""
import json
import sys

import numpy as np
import pytest

from keras_imnn.arrays import Arrays
from keras_imnn.cli_options import report_user_errors
from keras_imnn.groups import shift_symmetries
from keras_imnn.models.registry import get_spec
from keras_imnn.physics.photonic.cells import rods, sample_unit_cells
from keras_imnn.tasks import TASKS, get_task
from keras_imnn.training.data.splits import symmetry_free, symmetry_free_mask
from keras_imnn.training.data.task_data import TaskData
from keras_imnn.training.experiments.comparison import _config, is_error_metric, plot_curves, run_variants, summarize


def sibcl_cell(seed=3):
    return sample_unit_cells(1, "sibcl", seed).eps[0]


def test_cells_with_any_point_symmetry_are_dropped_others_kept():
    rod = rods(0.3, 12.0)  # C4v
    free = sibcl_cell()
    mirror_only = np.where(free + free[::-1] > free.mean() * 2, 9.0, 1.0)  # one mirror (a shift of x ↦ -x)
    supercell = np.tile(free[::2, ::2], (2, 2))  # symmetric under a half-cell translation only
    cells = [rod, free, np.roll(rod, (5, 11), (0, 1)), mirror_only, np.roll(mirror_only, (7, 2), (0, 1)),
             free.T, np.rot90(free), supercell]
    x = np.stack(cells)[..., None].astype("float32")
    assert shift_symmetries(x[1:2], "d4")[0].sum() == 1  # the sibcl cell really has no symmetry
    assert symmetry_free_mask(x).tolist() == [False, True, False, False, False, True, True, True]
    data = Arrays(x, np.arange(len(x), dtype="float32")[:, None])
    assert symmetry_free(data).y[:, 0].tolist() == [1, 5, 6, 7]  # in their order, labels along
    # C2 sees the mirror-only cell's mirror too (c2 = rotations by 0 and 180°: a mirror is not one of them).
    assert symmetry_free_mask(x[3:4], "c2").tolist() == [True]


def test_splits_are_filtered_after_they_are_made_and_counted():
    cells = sample_unit_cells(40, "general", 0)
    x = cells.eps[..., None].astype("float32")
    data = Arrays(x, np.arange(40, dtype="float32")[:, None])
    made = TaskData(data.subset(np.arange(25, 40)), data.subset(np.arange(15, 25)), data.subset(np.arange(15)),
                    TASKS["photonic"], source="cells.npz")
    free = made.symmetry_free()
    train, val, test = free.train, free.validation, free.test
    expected = np.flatnonzero(symmetry_free_mask(x))
    assert 0 < len(expected) < 40  # the general mix has both
    assert [p.y[:, 0].tolist() for p in (test, val, train)] == [
        [i for i in expected if lo <= i < hi] for lo, hi in ((0, 15), (15, 25), (25, 40))]
    assert free.source == (f"cells.npz; cells without D4 point symmetry only: train {len(train)} of 15, "
                           f"validation {len(val)} of 10, test {len(test)} of 15")
    # Families without symmetry by construction: all sibcl cells are kept, no gapped (C4v) cell.
    assert all(cells.family[i] != 1 for i in expected)


def test_the_edge_comparison_trains_the_five_variants():
    task = TASKS["photonic_edges"]
    assert [v[0] for v in task.baselines] == ["photonic_edges_cnn", "photonic_edges_cnn + aug", "photonic_edges_inv",
                                              "photonic_edges_inv_dilated", "photonic_edges_inv_dilated tied"]
    configs = {label: _config(name, augment, overrides, (1, 32, 32, 1)) for label, name, augment, overrides in
               task.baselines}
    assert configs["photonic_edges_cnn + aug"] == {**configs["photonic_edges_cnn"], "augment": "d4"}
    for label, config in configs.items():
        assert (config["outputs"], config["head"]) == (32, "band_edges"), label
    # The single-scale model is photonic_inv's trunk with the band-edge head.
    inv = get_spec("photonic_inv").config.to_dict()
    single = configs["photonic_edges_inv"]
    assert {k: v for k, v in single.items() if k not in ("outputs", "head", "orbit_training")} == \
           {k: json.loads(json.dumps(v)) for k, v in inv.items() if k not in ("outputs", "head", "orbit_training")}
    assert single["orbit_training"] == configs["photonic_edges_inv_dilated"]["orbit_training"] == "sample"
    tied = configs["photonic_edges_inv_dilated tied"]
    assert tied["invariance"] == "tied" and tied["dilations"] == configs["photonic_edges_inv_dilated"]["dilations"]
    assert tied["group"] == "d4" and tied["augment"] is None


def test_learning_curves_are_log_log_for_errors(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    runs = [{"variant": v, "n_train": n, "seed": s, "test_metrics": {"median_rel_err": e / n**0.5 * (1 + s / 10),
                                                                     "mae": e / n, "r2": 0.5}}
            for v, e in (("cnn", 1.0), ("inv", 0.5)) for n in (100, 200, 400) for s in (0, 1, 2)]
    table, stats = summarize(runs, get_task("photonic_edges"), metrics=["median_rel_err", "mae", "r2"])
    assert table.splitlines()[0] == "| model | n_train | seeds | median_rel_err | mae | r2 |"
    assert stats[("inv", 400, "mae")][0] == pytest.approx(0.5 / 400)
    saved = []
    monkeypatch.setattr(plt, "close", saved.append)
    plot_curves(stats, get_task("photonic_edges"), tmp_path / "curves.png")
    axes = saved[0].axes
    assert [(ax.get_xscale(), ax.get_yscale()) for ax in axes] == [("log", "log"), ("log", "log"), ("log", "linear")]
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["100", "200", "400"]
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert is_error_metric("tm_bands_1_4_median_rel_err") and not is_error_metric("has_gap_accuracy")


@pytest.fixture
def compare_models():
    from keras_imnn.training.experiments import compare_models

    return compare_models


def edges_npz(tmp_path):
    """60 general cells with sorted random band edges: (cells, path of the .npz)."""
    cells = sample_unit_cells(60, "general", 0)
    npz = tmp_path / "cells.npz"
    np.savez(npz, eps=cells.eps.astype("float32"), band_edges=np.sort(np.random.default_rng(0).uniform(
        0.1, 1.0, (60, 32)), axis=1).astype("float32"))
    return cells, npz


def test_script_filters_reports_and_passes_the_metrics(compare_models, monkeypatch, tmp_path, capsys):
    cells, npz = edges_npz(tmp_path)
    seen = {}

    def fake_run_variants(variants, data, *, sizes, seeds, **kwargs):
        seen.update(variants=variants, splits=(data.train, data.validation, data.test), sizes=sizes,
                    settings=kwargs["settings"])
        return [{"variant": v[0], "n_train": n, "seed": s, "epochs_run": 1,
                 "test_metrics": {"median_rel_err": 0.1, "mae": 0.01}} for v in variants for n in (4, 8) for s in seeds]

    monkeypatch.setattr(compare_models, "run_variants", fake_run_variants)
    argv = ["compare_models.py", "photonic_edges", "--npz", str(npz), "--symmetry-free", "--n-test", "20",
            "--n-validation", "10", "--sizes", "4", "8", "100", "--seeds", "0", "--metrics", "median_rel_err", "mae",
            "--monitor", "mae", "--validate-every", "5", "--out", str(tmp_path / "out")]
    monkeypatch.setattr(sys, "argv", argv)
    compare_models.main()
    printed = capsys.readouterr().out
    free = symmetry_free_mask(cells.eps[..., None].astype("float32"))
    counts = (free[30:].sum(), free[20:30].sum(), free[:20].sum())
    assert f"train {counts[0]} of 30, validation {counts[1]} of 10, test {counts[2]} of 20" in printed
    assert f"sizes [100] exceed the {counts[0]} training examples" in printed
    assert [len(s) for s in seen["splits"]] == list(counts)
    assert len(seen["variants"]) == 5
    assert (seen["settings"].monitor, seen["settings"].validate_every) == ("mae", 5)
    assert (tmp_path / "out" / "table.md").read_text().splitlines()[0] == \
        "| model | n_train | seeds | median_rel_err | mae |"
    # --table-only trains nothing and tables every run of results.json (here: one another process wrote).
    (tmp_path / "out" / "results.json").write_text(json.dumps([
        {"variant": "photonic_edges_inv", "n_train": 16, "seed": 3, "epochs_run": 1,
         "test_metrics": {"median_rel_err": 0.5, "mae": 0.05}}]))
    seen.clear()
    monkeypatch.setattr(sys, "argv", [*argv, "--table-only"])
    compare_models.main()
    assert not seen, "trained nothing"
    assert "| photonic_edges_inv | 16 | 1 | 0.5000 ± 0.0000 | 0.0500 ± 0.0000 |" in \
        (tmp_path / "out" / "table.md").read_text()
    monkeypatch.setattr(sys, "argv", [*argv[:-2], "--out", str(tmp_path / "empty"), "--table-only"])
    with pytest.raises(SystemExit):
        compare_models.main()
    assert "results.json does not exist; run the comparison first" in capsys.readouterr().err
    assert not (tmp_path / "empty").exists(), "nothing written for a refused --table-only"
    (tmp_path / "out" / "results.json").write_text("[]")
    monkeypatch.setattr(sys, "argv", [*argv, "--table-only"])
    with pytest.raises(SystemExit):
        compare_models.main()
    assert "no finished runs in" in capsys.readouterr().err
    monkeypatch.setattr(sys, "argv", [*argv[:-2], "--metrics", "median_rel_eror", "--out", str(tmp_path / "o2")])
    with pytest.raises(SystemExit):
        compare_models.main()
    assert "unknown --metrics ['median_rel_eror']" in capsys.readouterr().err
    # Without the filter the data differ: the finished runs in OUT are not theirs.
    monkeypatch.setattr(sys, "argv", [a for a in argv if a != "--symmetry-free"])
    with pytest.raises(SystemExit):
        compare_models.main()
    assert "holds runs on other data" in capsys.readouterr().err
    assert "without D4 point symmetry" in (tmp_path / "out" / "data.txt").read_text()
    # A results.json that is not JSON (cut by hand, edited) is one line naming it, on resume and on --table-only.
    (tmp_path / "out" / "results.json").write_text('[{"variant": "photonic_edges_inv", "n_tr')
    monkeypatch.setattr(compare_models, "run_variants", run_variants)  # reads the file before it trains
    for extra in ([], ["--table-only"]):
        monkeypatch.setattr(sys, "argv", [*argv, *extra])
        assert report_user_errors("compare_models", compare_models.main) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert f"compare_models: error: {tmp_path / 'out' / 'results.json'} is not valid JSON (" in err


def test_merge_joins_the_folders_of_split_processes_and_refuses_other_data_or_conflicts(compare_models, monkeypatch,
                                                                                      tmp_path, capsys):
    _, npz = edges_npz(tmp_path)
    error = {"photonic_edges_cnn": 0.3, "photonic_edges_inv": 0.1}

    def fake_run_variants(variants, data, *, sizes, seeds, results_path, **kwargs):
        runs = [{"variant": v[0], "n_train": 8, "seed": s, "epochs_run": 1,
                 "test_metrics": {"median_rel_err": error[v[0]]}} for v in variants for s in seeds]
        results_path.write_text(json.dumps(runs))
        return runs

    monkeypatch.setattr(compare_models, "run_variants", fake_run_variants)

    def run(*extra):
        monkeypatch.setattr(sys, "argv", ["compare_models.py", "photonic_edges", "--npz", str(npz), "--n-test", "20",
                                          "--n-validation", "10", "--sizes", "8", "--seeds", "0", "1",
                                          "--metrics", "median_rel_err", *extra])
        try:
            return report_user_errors("compare_models", compare_models.main)
        except SystemExit as exc:  # parser.error
            return exc.code

    for variant, out in (("photonic_edges_cnn", "a"), ("photonic_edges_inv", "b")):
        assert run("--symmetry-free", "--only", variant, "--out", str(tmp_path / out)) == 0
    assert run("--symmetry-free", "--merge", str(tmp_path / "a"), str(tmp_path / "b"), "--table-only",
               "--out", str(tmp_path / "all")) == 0
    assert len(json.loads((tmp_path / "all" / "results.json").read_text())) == 4
    table = (tmp_path / "all" / "table.md").read_text()
    assert "| photonic_edges_cnn | 8 | 2 | 0.3000 ± 0.0000 |" in table
    assert "| photonic_edges_inv | 8 | 2 | 0.1000 ± 0.0000 |" in table
    # Merging again (the same records) changes nothing; a run held twice with other results is refused.
    assert run("--symmetry-free", "--merge", str(tmp_path / "a"), "--table-only", "--out", str(tmp_path / "all")) == 0
    error["photonic_edges_cnn"] = 0.2
    assert run("--symmetry-free", "--only", "photonic_edges_cnn", "--out", str(tmp_path / "c")) == 0
    capsys.readouterr()
    assert run("--symmetry-free", "--merge", str(tmp_path / "c"), "--table-only", "--out", str(tmp_path / "all")) == 2
    assert "--merge: run 'photonic_edges_cnn' n_train 8 seed 0 is held twice with other results" in \
        capsys.readouterr().err
    # Runs on other cells (here: without --symmetry-free) are not merged.
    assert run("--only", "photonic_edges_cnn", "--out", str(tmp_path / "d")) == 0
    capsys.readouterr()
    assert run("--symmetry-free", "--merge", str(tmp_path / "d"), "--table-only", "--out", str(tmp_path / "all")) == 2
    assert f"--merge {tmp_path / 'd'}: not a comparison on these data" in capsys.readouterr().err
    assert len(json.loads((tmp_path / "all" / "results.json").read_text())) == 4, "nothing written when refused"
