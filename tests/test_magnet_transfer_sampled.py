"""The 36-spin path of ``training.experiments.transfer`` (sets drawn from a ground state held as orbits),
on 4x4 where the expanded ground state checks it."""
import numpy as np
import pytest

pytest.importorskip("quspin")

from keras_imnn.physics.magnet import ed, representatives  # noqa: E402
from keras_imnn.training.experiments.transfer import load_sets, sampled_sets  # noqa: E402


@pytest.fixture(scope="module")
def ground_states():
    return (representatives.symmetric_ground_state("square", (4, 4), 0.5, progress=False),
            ed.ground_state("square", (4, 4), 0.5, sector="symmetric", progress=False))


def test_sampled_sets_carry_the_expanded_signs_and_leave_out_the_finetuning_states(ground_states):
    gs, ref = ground_states
    sets = sampled_sets(gs, finetune_states=300, eval_states=5000, seed=0)
    x_tune, y_tune = sets["tune"]
    x_all, y_all, w_all, _ = sets["all"]
    x_rest, y_rest, _, _ = sets["others"]
    assert w_all is None and len(y_tune) == 300 and len(y_all) == 5000
    for x, y in ((x_tune, y_tune), (x_all, y_all), (x_rest, y_rest)):
        states = ed.spins_to_states(x.astype(np.uint8))
        np.testing.assert_array_equal(y, ref.signs[np.searchsorted(ref.states, states)])
    tune = ed.spins_to_states(x_tune.astype(np.uint8))
    rest = ed.spins_to_states(x_rest.astype(np.uint8))
    assert len(np.unique(tune)) == 300 and not np.isin(rest, tune).any() and 0 < len(y_rest) < 5000
    # A D4 model fits the square lattice, and the symmetric sector's signs are D4-invariant.
    check = sets["group_check"](["d4"])
    assert check["group_fits"] and check["sign_violation"] == 0.0


def test_missing_36_spin_ground_state_is_one_clear_line(tmp_path):
    with pytest.raises(FileNotFoundError, match="no ground state .*magnet_36_spins.py"):
        load_sets(("square", (6, 6), 0.5), finetune_states=300, eval_states=5000, seed=0, ground_state_dir=tmp_path)
