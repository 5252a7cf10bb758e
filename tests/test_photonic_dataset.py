"""Chunked, cached, threaded generation of labelled cells (physics.photonic.dataset)."""
from __future__ import annotations

import time

import numpy as np

from keras_imnn.physics.photonic.cells import sample_unit_cells
from keras_imnn.physics.photonic.dataset import (
    FIELDS,
    SolverSettings,
    band_edges,
    edge_gaps,
    generate,
    generate_chunks,
    label_cells,
    label_statistics,
    make_examples,
)


def test_generate_resumes_from_cached_chunks(tmp_path):
    cache = tmp_path / "cache"
    settings = SolverSettings(n_max=2)
    first = list(generate_chunks("gapped", 0, 0, 6, settings, chunk_size=2, workers=1,
                                 cache_dir=cache, progress=False))
    files = sorted(cache.glob("*.npz"))
    assert len(files) == 3
    # A chunk file that exists is trusted: mark one to see that it is read, not recomputed.
    marked = dict(np.load(files[1]))
    marked["tm_gap"] = marked["tm_gap"] + 100.0
    np.savez(files[1], **marked)
    second = list(generate_chunks("gapped", 0, 0, 6, settings, chunk_size=2, workers=1,
                                  cache_dir=cache, progress=False))
    np.testing.assert_array_equal(second[1]["tm_gap"], first[1]["tm_gap"] + 100.0)
    np.testing.assert_array_equal(second[0]["tm_bands"], first[0]["tm_bands"])


def test_generate_on_two_threads_matches_one(tmp_path):
    settings = SolverSettings(n_max=2)
    one = generate("sibcl", 4, 1, settings, chunk_size=2, workers=1, progress=False)
    two = generate("sibcl", 4, 1, settings, chunk_size=2, workers=2, progress=False)
    for key in FIELDS:
        np.testing.assert_array_equal(one[key], two[key])


def test_a_consumer_that_stops_early_leaves_no_runaway_workers(tmp_path):
    chunks = generate_chunks("gapped", 0, 0, 12, SolverSettings(n_max=2), chunk_size=1,
                             workers=2, cache_dir=tmp_path, progress=False)
    next(chunks)
    started = time.monotonic()
    while len(list(tmp_path.glob("*.npz"))) < 2 and time.monotonic() - started < 30:
        time.sleep(0.1)  # on a loaded machine the workers may start late: wait for them
    time.sleep(3.0)  # the pool would have solved all 12 chunks by now if nothing held it back
    assert len(list(tmp_path.glob("*.npz"))) <= 1 + 2 * 2
    chunks.close()


def test_label_statistics_counts_gaps_and_ratio_bins():
    stats = label_statistics(np.array([0.0, 0.0, 0.01, 0.03, 0.1]),
                             np.array([1.0, 1.0, 0.5, 0.1, 0.2]))
    assert stats["n"] == 5 and stats["gap_fraction"] == 0.6
    # ratios 0, 0, 0.02, 0.3, 0.5 over bins [0, 1e-9, 0.05, 0.1, 0.2, 0.3, 0.4, inf)
    assert stats["counts"] == [2, 1, 0, 0, 0, 1, 1]
    np.testing.assert_allclose(stats["ratio_mean_gapped"], (0.02 + 0.3 + 0.5) / 3)


def test_band_edges_layout_is_polarization_band_min_max():
    k = np.arange(3.0)[:, None]  # 3 k-points; band b at k holds 10 b + k, TE 100 higher
    tm = 10.0 * np.arange(1, 11)[None, :] + k
    edges = band_edges(tm, tm + 100)
    assert edges.shape == (32,)
    expected = [[[100 * pol + 10 * b, 100 * pol + 10 * b + 2] for b in range(1, 9)] for pol in (0, 1)]
    np.testing.assert_array_equal(edges.reshape(2, 8, 2), expected)
    assert edges[:4].tolist() == [10, 12, 20, 22] and edges[16:18].tolist() == [110, 112]
    assert band_edges(np.stack([tm, tm]), np.stack([tm, tm])).shape == (2, 32)


def test_band_edges_reproduce_the_gap_features_exactly():
    cells = sample_unit_cells(6, "general", seed=3)
    labels = label_cells(cells.eps, SolverSettings(n_max=2))
    edges = labels["band_edges"].reshape(-1, 2, 8, 2)
    for pol, name in enumerate(("tm", "te")):
        bands = labels[f"{name}_bands"]
        np.testing.assert_array_equal(edges[:, pol, :, 0], bands[..., :8].min(axis=1))
        np.testing.assert_array_equal(edges[:, pol, :, 1], bands[..., :8].max(axis=1))
    assert np.all(edges[..., 0] <= edges[..., 1])
    assert np.all(np.diff(edges, axis=2) >= 0)  # min_{b+1} >= min_b and max_{b+1} >= max_b
    gaps, midgaps = edge_gaps(labels["band_edges"])
    for pol, name in enumerate(("tm", "te")):
        np.testing.assert_array_equal(gaps[:, pol], labels[f"{name}_gaps"][:, :7])
        np.testing.assert_array_equal(midgaps[:, pol], labels[f"{name}_midgaps"][:, :7])
    assert np.any(gaps > 0)


def test_examples_carry_band_edges_and_family():
    examples = make_examples("general", 3, 4, 5, SolverSettings(n_max=2))
    assert list(examples) == list(FIELDS)
    assert examples["band_edges"].shape == (5, 32) and examples["band_edges"].dtype == np.float32
    np.testing.assert_array_equal(examples["family"], sample_unit_cells(5, "general", 3, start=4).family)
    gaps, _ = edge_gaps(examples["band_edges"])  # float32 features: the same up to the float32 rounding
    np.testing.assert_allclose(gaps[:, 0], examples["tm_gaps"][:, :7], atol=1e-6)
