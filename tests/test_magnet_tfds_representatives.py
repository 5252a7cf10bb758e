"""frustrated_magnets' orbit path (the 36-spin configs) on 4x4: computed and from a manual-dir file, against
the expanded ED ground state."""
import math

import numpy as np
import pytest
import tensorflow_datasets as tfds

pytest.importorskip("quspin")

from keras_imnn.physics.magnet import ed, representatives  # noqa: E402
from keras_imnn.physics.magnet.signs import marshall_violation  # noqa: E402
from tfds_builders.frustrated_magnets import frustrated_magnets as fm  # noqa: E402

CONFIG = fm.make_config("square", (4, 4), 0.5, train_fraction=0.2, test_size=1000, orbits=True)
N_ORBITS = 107  # of the symmetric Sz = 0 sector of the 4x4 square lattice (its flip character is +1)


def _build(data_dir, manual_dir=None) -> tuple[tfds.core.DatasetBuilder, dict[str, dict[str, np.ndarray]]]:
    builder = fm.FrustratedMagnets(data_dir=str(data_dir), config=CONFIG)
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=manual_dir))
    return builder, {name: tfds.as_numpy(builder.as_dataset(split=name, batch_size=-1)) for name in builder.info.splits}


@pytest.fixture(scope="module")
def exact():
    return ed.ground_state("square", (4, 4), 0.5, sector="symmetric", progress=False)


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("data"))


def test_config_names_and_the_one_rule():
    names = [c.name for c in fm.FrustratedMagnets.BUILDER_CONFIGS]
    assert {"square_6x6_j2_0.5", "square_6x6_j2_0.5_eps_0.005"} <= set(names)
    big = fm.make_config("square", (6, 6), 0.5)
    assert big.orbits and big.train_fraction == 0.001 and big.name == "square_6x6_j2_0.5"
    assert not fm.make_config("square", (6, 4), 0.5).orbits
    assert CONFIG.name == "square_4x4_j2_0.5_orbits_eps_0.2_test_1000"


def test_labels_weights_and_splits_match_the_expanded_ground_state(computed, exact):
    builder, splits = computed
    assert set(splits) == {"train", "test"}  # no full split
    assert len(splits["train"]["state"]) == round(0.2 * N_ORBITS) and len(splits["test"]["state"]) == 1000
    train, test = splits["train"]["state"], splits["test"]["state"]
    assert len(np.unique(train)) == len(train) and len(np.unique(test)) == len(test)
    assert len(np.intersect1d(train, test)) == 0
    assert (np.bitwise_count(test.astype(np.uint64)) == 8).all()
    both = {key: np.concatenate([splits["train"][key], splits["test"][key]]) for key in splits["train"]}
    index = np.searchsorted(exact.states, both["state"].astype(np.uint64))
    assert np.array_equal(exact.states[index], both["state"].astype(np.uint64))
    nonzero = np.abs(exact.amplitudes[index]) > 1e-9
    agree = both["sign"][nonzero] == exact.signs[index][nonzero]
    assert agree.all() or not agree.any()  # up to one global sign
    np.testing.assert_allclose(both["weight"], exact.weights[index], atol=1e-7)
    np.testing.assert_allclose(np.abs(both["amplitude"]), np.abs(exact.amplitudes[index]), atol=1e-7)
    np.testing.assert_array_equal(both["spins"], ed.states_to_spins(both["state"], (4, 4)))
    # Train is drawn with |psi|^2: its states weigh far more than uniform ones.
    assert splits["train"]["weight"].mean() > 5 * exact.weights.mean()
    meta = builder.info.metadata
    assert meta["n_orbits"] == N_ORBITS and "n_states" not in meta
    assert meta["energy"] == pytest.approx(exact.energy, abs=1e-9)
    assert meta["sign_invariant_under"] == ["Tx", "Ty", "Px", "Py", "Pd", "Z"]
    assert meta["marshall_violation"] == pytest.approx(marshall_violation(exact), abs=1e-9)


def test_manual_dir_file_is_used_and_a_mismatching_one_is_refused(computed, tmp_path, monkeypatch):
    manual = tmp_path / "manual"
    representatives.symmetric_ground_state("square", (4, 4), 0.5, progress=False).save(
        manual / "ground_state_square_4x4_j2_0.5.npz")

    def refuse(*args, **kwargs):
        raise AssertionError("computed although the manual dir holds the ground state")

    monkeypatch.setattr(representatives, "symmetric_ground_state", refuse)
    _, splits = _build(tmp_path / "data", manual)
    for name, split in computed[1].items():
        np.testing.assert_array_equal(splits[name]["state"], split["state"])  # same ground state, same seed
        np.testing.assert_array_equal(splits[name]["sign"], split["sign"])

    monkeypatch.undo()
    wrong = tmp_path / "wrong"
    representatives.symmetric_ground_state("square", (4, 4), 0.0, progress=False).save(
        wrong / "ground_state_square_4x4_j2_0.5.npz")
    with pytest.raises(ValueError, match=r"j2_0.5.npz holds .* J2=0, not of square 4x4 J1=1 J2=0.5") as err:
        _build(tmp_path / "data_wrong", wrong)
    assert "\n" not in str(err.value)


def test_marshall_violation_from_orbits_equals_the_expanded_one(exact):
    gs = representatives.symmetric_ground_state("square", (4, 4), 0.5, progress=False)
    assert marshall_violation(gs) == pytest.approx(marshall_violation(exact), abs=1e-12)
    assert marshall_violation(representatives.symmetric_ground_state("square", (6, 3), 0.5, progress=False)) is None
    assert math.isclose(marshall_violation(representatives.symmetric_ground_state("square", (4, 4), 0.0,
                                                                                  progress=False)), 0.0, abs_tol=1e-12)
