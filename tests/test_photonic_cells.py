"""Unit cells: conventions, determinism, value ranges, symmetry, invariance of the gap labels."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from keras_imnn.physics.photonic.cells import (
    CONFIGS,
    FAMILIES,
    MIXES,
    d4_transforms,
    holes,
    pixel_centers,
    random_unit_cells,
    rods,
    sample_unit_cells,
)
from keras_imnn.physics.photonic.kpoints import cell_symmetries
from keras_imnn.physics.photonic.solver import band_gaps, band_structure, k_grid

REFERENCE = Path(__file__).parent / "data" / "photonic_mpb.npz"


def test_rods_and_holes_match_the_mpb_reference_cells():
    cells = np.load(REFERENCE)["cells"]
    np.testing.assert_array_equal(rods(0.25, 12.0), cells[0])
    np.testing.assert_array_equal(holes(0.35, 13.0), cells[1])


def test_pixel_grid_is_one_period_without_duplicated_edge():
    x = pixel_centers()
    np.testing.assert_allclose(x, (np.arange(32) + 0.5) / 32)
    # Rolling by half a period moves the rod from the centre to the corner, wrapping around the
    # edges: only true if pixel 0 follows pixel 31 at spacing 1/32.
    corner = np.roll(rods(0.25, 12.0), (16, 16), axis=(0, 1))
    d = np.minimum(x, 1 - x)
    expected = np.where(np.hypot(d[:, None], d[None, :]) <= 0.25, 12.0, 1.0)
    np.testing.assert_array_equal(corner, expected)


@pytest.mark.parametrize("config", CONFIGS)
def test_deterministic_in_seed_and_index(config):
    a = random_unit_cells(6, config, seed=3)
    np.testing.assert_array_equal(a, random_unit_cells(6, config, seed=3))
    assert not np.array_equal(a, random_unit_cells(6, config, seed=4))
    np.testing.assert_array_equal(a[:4], random_unit_cells(4, config, seed=3))
    np.testing.assert_array_equal(a[4:], sample_unit_cells(2, config, seed=3, start=4).eps)
    assert a.shape == (6, 32, 32) and a.dtype == np.float64
    assert len({cell.tobytes() for cell in a}) == 6


def test_gapped_values_and_c4v_symmetry():
    c = sample_unit_cells(200, "gapped", seed=1)
    assert np.all((c.eps_background >= 1) & (c.eps_background <= 2))
    assert np.all((c.eps_inclusion >= 6) & (c.eps_inclusion <= 20))
    for cell, bg, inc, fill in zip(c.eps, c.eps_background, c.eps_inclusion, c.filling):
        assert set(np.unique(cell)) == {bg, inc}
        assert np.mean(cell == inc) == fill
        for image in d4_transforms(cell):
            np.testing.assert_array_equal(image, cell)
    # Fillings ~ U(0.08, 0.35), up to one symmetry orbit (8 pixels) at the threshold.
    assert 0.08 - 8 / 1024 <= c.filling.min() < 0.12 and 0.31 < c.filling.max() <= 0.35 + 8 / 1024


def test_sibcl_values_and_no_symmetry():
    c = sample_unit_cells(300, "sibcl", seed=1)
    for eps in (c.eps_background, c.eps_inclusion):
        assert np.all((eps >= 1) & (eps <= 20)) and eps.min() < 2 and eps.max() > 19
    assert 1 / 1024 <= c.filling.min() < 0.05 and 0.95 < c.filling.max() <= 1023 / 1024
    np.testing.assert_allclose([np.mean(e == i) for e, i in zip(c.eps, c.eps_inclusion)], c.filling)
    symmetric = [all(np.array_equal(im, e) for im in d4_transforms(e)[1:]) for e in c.eps]
    assert not any(symmetric)


def test_general_covers_every_family_two_tone_in_range():
    c = sample_unit_cells(600, "general", seed=2)
    counts = np.bincount(c.family, minlength=len(FAMILIES))
    expected = np.array([MIXES["general"].get(name, 0.0) for name in FAMILIES]) * len(c.family)
    assert np.all((counts > 0) == (expected > 0)) and np.all(np.abs(counts - expected) <= 5 * np.sqrt(expected))
    for eps in (c.eps_background, c.eps_inclusion):
        assert np.all((eps >= 1) & (eps <= 20))
    for cell, bg, inc, fill in zip(c.eps, c.eps_background, c.eps_inclusion, c.filling):
        assert set(np.unique(cell)) == {bg, inc} and np.mean(cell == inc) == fill
    assert c.filling.min() < 0.02 and c.filling.max() > 0.98
    shapes = c.family >= FAMILIES.index("circle")
    rods = c.eps_inclusion > c.eps_background
    assert rods[shapes].any() and not rods[shapes].all()  # high-index rods and low-index holes
    assert np.any(c.eps_background[shapes] == 1.0) and np.any(c.eps_inclusion[shapes] == 1.0)  # air
    gapped = c.family == FAMILIES.index("gapped")  # drawn as the gapped config draws them
    assert np.all(c.eps_background[gapped] <= 2) and np.all(c.eps_inclusion[gapped] >= 6)


def test_smooth_cells_are_asymmetric_high_contrast_rods_and_holes():
    c = sample_unit_cells(200, "smooth", seed=3)
    assert np.all(c.family == FAMILIES.index("smooth"))
    low, high = np.minimum(c.eps_background, c.eps_inclusion), np.maximum(c.eps_background, c.eps_inclusion)
    assert np.all((low >= 1) & (low <= 2) & (high >= 4) & (high <= 20)) and np.any(low == 1.0) and np.any(low > 1)
    rods = c.eps_inclusion > c.eps_background
    assert 0.3 < rods.mean() < 0.7
    assert c.filling[rods].max() <= 0.5 + 1 / 1024 and c.filling[~rods].min() >= 0.2 - 1 / 1024
    assert np.mean([len(cell_symmetries(cell)[0]) == 1 for cell in c.eps[:40]]) > 0.9  # no point symmetry


def test_general_cells_range_from_no_symmetry_to_c4v_and_wrap_around():
    c = sample_unit_cells(200, "general", seed=5)
    n_ops = np.array([len(cell_symmetries(cell)[0]) for cell in c.eps])
    assert np.any(n_ops == 1) and np.any(n_ops == 8)  # no point symmetry (even up to shifts); C4v
    assert np.all(n_ops[c.family == FAMILIES.index("gapped")] == 8)
    # Shapes sit anywhere: some circles are cut by the cell edge and continue on the other side.
    circle = c.family == FAMILIES.index("circle")
    circles = c.eps[circle] == c.eps_inclusion[circle, None, None]
    assert np.any(circles[:, 0].any(axis=1) & circles[:, -1].any(axis=1) & ~circles[:, 16].any(axis=1))


def test_bad_input_names_what_is_accepted():
    with pytest.raises(ValueError, match="accepted: gapped, sibcl, general"):
        random_unit_cells(2, "gaped")
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        random_unit_cells(2, "sibcl", seed=-1)
    with pytest.raises(ValueError, match="radius"):
        rods(0.8, 12.0)


def _asymmetric_rod() -> np.ndarray:
    cell = rods(0.2, 8.9)
    cell[20:24, 9:11] = 8.9  # a bump breaks every symmetry but keeps the TM gap open
    return cell


@pytest.mark.parametrize("make_cell, tm_gapped", [
    (lambda: random_unit_cells(1, "sibcl", seed=11)[0], False),
    (lambda: random_unit_cells(1, "gapped", seed=11)[0], False),
    (_asymmetric_rod, True),
], ids=["sibcl", "gapped", "bumped-rod"])
def test_gap_labels_invariant_under_d4_and_periodic_shifts(make_cell, tm_gapped):
    """The labels on k_grid(16) must not change under the transforms the invariant models use."""
    cell = make_cell()
    rng = np.random.default_rng(0)
    images = d4_transforms(cell) + [np.roll(cell, rng.integers(1, 32, 2), axis=(0, 1))
                                    for _ in range(3)]
    for pol in ("tm", "te"):
        # n_max = 3 keeps this fast; the invariance is exact up to round-off at any cutoff.
        gaps, mids = band_gaps(band_structure(np.stack(images), k_grid(16), 4, pol, n_max=3))
        np.testing.assert_allclose(gaps, np.broadcast_to(gaps[0], gaps.shape), atol=1e-10)
        np.testing.assert_allclose(mids, np.broadcast_to(mids[0], mids.shape), atol=1e-10)
        if pol == "tm":
            assert (gaps[0, 0] > 0.05) == tm_gapped


def test_varied_cells_hold_the_kinds_the_general_mix_lacks():
    c = sample_unit_cells(300, "varied", seed=4)
    kinds = {name: c.family == FAMILIES.index(name) for name in MIXES["varied"]}
    assert all(k.sum() > 30 for k in kinds.values())
    for cell, bg, inc in zip(c.eps, c.eps_background, c.eps_inclusion):
        assert set(np.unique(cell)) == {bg, inc} and 1 <= min(bg, inc) and max(bg, inc) <= 20
    # Textbook cells: a centred rod or hole, so every D4 image is the cell itself; sizes from tiny to touching.
    textbook = c.eps[kinds["textbook"]]
    assert all(all(np.array_equal(im, e) for im in d4_transforms(e)) for e in textbook)
    assert c.filling[kinds["textbook"]].min() < 0.03 and c.filling[kinds["textbook"]].max() > 0.9
    # Tiled cells repeat under a half-cell shift; no cell of the general mix does.
    tiled = c.eps[kinds["tiled"]]
    assert all(np.array_equal(np.roll(e, 16, axis=0), e) and np.array_equal(np.roll(e, 16, axis=1), e)
               for e in tiled)
    general = random_unit_cells(300, "general", seed=4)
    assert not any(np.array_equal(np.roll(e, 16, axis=0), e) and np.array_equal(np.roll(e, 16, axis=1), e)
                   for e in general)
    # Veins: some row or column of the inclusion material 1-3 pixels thick spans the whole cell.
    veins = kinds["veins"] & (c.filling < 0.2)
    assert veins.sum() > 5
    # Sizes: at least two inclusions whose areas differ by more than 2x.
    from scipy import ndimage
    ratios = []
    for e, inc in zip(c.eps[kinds["sizes"]], c.eps_inclusion[kinds["sizes"]]):
        labels, n = ndimage.label(e == inc, structure=np.ones((3, 3)))
        areas = np.bincount(labels.ravel())[1:]
        if n >= 2:
            ratios.append(areas.max() / areas.min())
    assert len(ratios) > 20 and np.median(ratios) > 2


def _periodic_components(mask: np.ndarray) -> np.ndarray:
    """Areas of the connected pieces of ``mask`` on the torus (8-neighbour), each counted once."""
    from scipy import ndimage
    n = mask.shape[0]
    labels, _ = ndimage.label(np.tile(mask, (3, 3)), structure=np.ones((3, 3)))
    # Each piece has exactly one periodic copy whose bounding box starts in the middle tile.
    return np.array([(labels[box] == i + 1).sum() for i, box in enumerate(ndimage.find_objects(labels))
                     if n <= box[0].start < 2 * n and n <= box[1].start < 2 * n])


def test_pairs_cells_hold_two_inclusions_of_clearly_different_sizes():
    c = sample_unit_cells(300, "pairs", seed=4)
    assert (c.family == FAMILIES.index("pairs")).all()
    pieces = [_periodic_components(e == inc) for e, inc in zip(c.eps, c.eps_inclusion)]
    counts = np.array([len(p) for p in pieces])
    # Apart but for a few where the larger leaves no room (they merge: one piece, or a strip across the cell).
    assert (counts == 2).mean() > 0.95
    ratios = np.array([p.max() / p.min() for p in pieces if len(p) == 2])
    assert np.median(ratios) > 3 and (ratios > 1.5).mean() > 0.8
    rods = c.eps_inclusion > c.eps_background
    assert 0.55 < rods.mean() < 0.8
    assert (np.minimum(c.eps_background, c.eps_inclusion) <= 1.5).all()
    assert (np.maximum(c.eps_background, c.eps_inclusion) >= 2).all()
    assert (np.maximum(c.eps_background, c.eps_inclusion) <= 20).all()
