"""Chunked, cached, threaded generation of labelled cells (physics.photonic.dataset)."""
from __future__ import annotations

import time

import numpy as np

from keras_imnn.physics.photonic.dataset import (
    FIELDS,
    SolverSettings,
    generate,
    generate_chunks,
    label_statistics,
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
