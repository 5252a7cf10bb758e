"""The validity domains: invalid input is a ValueError, unusual input is out of domain with a reason."""
import warnings

import numpy as np
import pytest

from keras_imnn.domain import DomainWarning, dataset_domain, warn_out_of_domain
from keras_imnn.physics.photonic.cells import random_unit_cells, rods

PHOTONIC = dataset_domain("photonic_crystals/general")
MAGNET = dataset_domain("frustrated_magnets/square_6x4_j2_0.5", input_shape=(None, None, 1), group="d4")


def test_generated_cells_are_in_domain():
    in_domain, reasons = PHOTONIC.check(random_unit_cells(40, "general", seed=3))
    assert in_domain.all(), reasons


@pytest.mark.parametrize("config, low, high", [("general", 0.0, 0.01), ("gapped", 0.0, 0.01), ("varied", 0.2, 0.4)])
def test_the_motif_flag_counts_what_the_generators_draw(config, low, high):
    # The reason a repeated motif gives ("under 1 % of the training cells do") holds for every one-motif config,
    # and the varied config, which accepts tiled cells, really draws them.
    cells = random_unit_cells(2000, config, seed=0)
    in_domain, _ = dataset_domain("photonic_crystals/varied").check(cells)
    assert in_domain.all()
    repeats = 1 - PHOTONIC.check(cells)[0].mean()
    assert low <= repeats <= high, repeats


@pytest.mark.parametrize("cell, reason", [
    (rods(0.2, 60.0), "outside the training range"),
    (np.tile(rods(0.2, 8.9)[::2, ::2], (2, 2)), "repeats inside the cell"),
    (np.full((32, 32), 3.0), "uniform cell"),
    (rods(0.2, 8.9) + np.linspace(0, 0.5, 32)[None, :], "distinct ε values"),
    (rods(0.2, 8.9, eps_background=0.5), "outside the training range"),
])
def test_unusual_cells_are_out_of_domain_with_a_reason(cell, reason):
    in_domain, reasons = PHOTONIC.check(np.stack([rods(0.2, 8.9), cell]))
    assert in_domain.tolist() == [True, False]
    assert reasons[0] == "" and reason in reasons[1]


@pytest.mark.parametrize("cells, message", [
    (np.full((2, 32, 32), -1.0), "ε ≤ 0"),
    (np.zeros((2, 32, 32)), "ε ≤ 0"),
    (np.full((1, 32, 32), np.nan), "NaN or infinite"),
    (np.full((1, 32, 32), np.inf), "NaN or infinite"),
    (np.ones((1, 32, 32), bool), "dtype bool"),
    (np.ones((1, 32, 32), complex), "dtype complex"),
    (np.ones((1, 16, 32)), "shape"),
    (np.ones((32, 32)), "shape"),
])
def test_invalid_cells_are_refused(cells, message):
    with pytest.raises(ValueError, match=message):
        PHOTONIC.check(cells)


def test_spins():
    half = np.zeros((6, 4), int)
    half[:3] = 1
    in_domain, reasons = MAGNET.check(np.stack([half, half.T[:, ::-1].T, np.ones((6, 4))]))
    assert in_domain.tolist() == [True, True, False] and "24 of 24 spins up" in reasons[2]
    assert MAGNET.check(half.T[None])[0].all()  # the rotated lattice: a D4 model answers it consistently
    other = np.zeros((1, 8, 8))
    other[0, :4] = 1
    assert "trained on 6×4" in MAGNET.check(other)[1][0]
    assert MAGNET.check(half[None].astype(bool))[0].all()
    for bad in (half[None] * 2 - 1, half[None] + 0.5):
        with pytest.raises(ValueError, match="must be 0 or 1"):
            MAGNET.check(bad)


def test_one_warning_per_call_naming_count_and_reason():
    in_domain, reasons = PHOTONIC.check(np.stack([rods(0.2, 8.9), rods(0.2, 60.0), rods(0.3, 60.0)]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_out_of_domain(in_domain, reasons, "photonic_inv_dilated")
        warn_out_of_domain(np.ones(2, bool), ["", ""], "photonic_inv_dilated")
    assert len(caught) == 1 and issubclass(caught[0].category, DomainWarning)
    assert "2 of 3 inputs" in str(caught[0].message) and "training range" in str(caught[0].message)
    assert issubclass(DomainWarning, UserWarning)


def test_unknown_dataset_is_refused():
    with pytest.raises(ValueError, match="no validity domain"):
        dataset_domain("mnist")


def test_a_model_trained_on_tiled_motifs_takes_them():
    tiled = np.tile(rods(0.2, 8.9)[::2, ::2], (2, 2))[None]
    varied = dataset_domain("photonic_crystals/varied")
    assert not PHOTONIC.check(tiled)[0][0] and varied.check(tiled)[0][0]
    both = PHOTONIC.union(varied)
    assert both.check(tiled)[0][0] and "tiled" in both.describe()
    assert not both.check(rods(0.2, 60.0)[None])[0][0]  # the ε range still holds
