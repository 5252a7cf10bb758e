"""epsilon-fraction |psi|^2 train split, uniform test split, determinism."""
import numpy as np
import pytest

from keras_imnn.physics.magnet.sampling import split_indices


def _weights(n=2000, seed=0):
    return np.random.default_rng(seed).exponential(size=n) ** 4


def test_sizes_disjoint_no_replacement():
    splits = split_indices(_weights(), train_fraction=0.05, test_size=300, seed=3)
    train, test = splits["train"], splits["test"]
    assert len(train) == 100 and len(test) == 300
    assert len(np.unique(train)) == 100 and len(np.unique(test)) == 300
    assert np.intersect1d(train, test).size == 0
    assert np.array_equal(splits["full"], np.arange(2000))


def test_deterministic_per_seed():
    a = split_indices(_weights(), 0.05, 300, seed=3)
    b = split_indices(_weights(), 0.05, 300, seed=3)
    c = split_indices(_weights(), 0.05, 300, seed=4)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["train"], c["train"])


def test_train_follows_weights_and_test_is_uniform():
    w = np.r_[np.full(100, 100.0), np.full(900, 1.0)]  # the first 100 states hold 92% of the weight
    heavy_in_train, heavy_in_test = [], []
    for seed in range(20):
        s = split_indices(w, train_fraction=0.02, test_size=200, seed=seed)
        heavy_in_train.append(np.mean(s["train"] < 100))
        heavy_in_test.append(np.mean(s["test"] < 100))
    # 20 draws without replacement from the heavy states are ~92% heavy; a uniform draw ~10%.
    assert np.mean(heavy_in_train) > 0.85
    assert np.mean(heavy_in_test) == pytest.approx(80 / 980, abs=0.03)


def test_zero_weight_states_never_in_train():
    w = np.r_[np.zeros(50), np.ones(50)]
    assert split_indices(w, 0.4, 10)["train"].min() >= 50
    with pytest.raises(ValueError, match="non-zero weight"):
        split_indices(w, 0.6, 10)


@pytest.mark.parametrize(
    "weights, fraction, test_size, match",
    [
        (np.ones(100), 0.0, 10, "train_fraction"),
        (np.ones(100), 1.5, 10, "train_fraction"),
        (np.ones(100), 0.1, 91, "test_size"),
        (np.r_[np.ones(99), np.nan], 0.1, 10, "finite"),
        (-np.ones(100), 0.1, 10, "non-negative"),
        (np.ones((10, 10)), 0.1, 10, "1-D"),
    ],
)
def test_bad_input(weights, fraction, test_size, match):
    with pytest.raises(ValueError, match=match):
        split_indices(weights, fraction, test_size)
