"""Training one model on several lattice sizes: same-size batches, a tiny fit, exact invariance afterwards."""
import numpy as np
import pytest

import keras_imnn
from keras_imnn.arrays import Arrays
from keras_imnn.groups import group_elements, transform
from keras_imnn.training.multisize import SizeBatches, fit_sizes
from keras_imnn.training.settings import TrainSettings

SHAPES = ((4, 3), (6, 4), (5, 4))


def numbered(shape, n, start):
    """``n`` examples of ``shape`` whose every site holds the example's number (to find it again)."""
    ids = np.arange(start, start + n, dtype="float32")
    return Arrays(np.broadcast_to(ids[:, None, None, None], (n, *shape, 1)).copy(), ids[:, None])


def test_every_batch_is_one_size_and_every_example_comes_once_per_epoch():
    parts = [numbered(shape, n, 100 * i) for i, (shape, n) in enumerate(zip(SHAPES, (10, 23, 5)))]
    batches = SizeBatches(parts, batch_size=4, seed=3)
    assert len(batches) == 3 + 6 + 2
    epochs = [list(batches) for _ in range(2)]
    for epoch in epochs:
        assert len(epoch) == len(batches)
        seen = []
        for x, y in epoch:
            assert x.shape[1:3] in SHAPES and 1 <= len(x) <= 4
            np.testing.assert_array_equal(x[:, 0, 0, 0], y[:, 0])  # x and y of the same examples
            seen += [int(v) for v in y[:, 0]]
        assert sorted(seen) == sorted(int(v) for p in parts for v in p.y[:, 0])
        # The sizes alternate through the epoch: the big size is not all in one run of batches.
        sizes = [x.shape[1:3] for x, _ in epoch]
        assert sizes[:6] != [(6, 4)] * 6 and sizes[-6:] != [(6, 4)] * 6 and len(set(sizes[:4])) > 1
    orders = [[int(v) for _, y in epoch for v in y[:, 0]] for epoch in epochs]
    assert orders[0] != orders[1]  # reshuffled every epoch
    fixed = SizeBatches(parts, batch_size=4, shuffle=False)
    assert [y.tolist() for _, y in fixed] == [y.tolist() for _, y in fixed]


def test_the_dataset_yields_the_next_epoch_at_each_iteration():
    parts = [numbered(shape, n, 100 * i) for i, (shape, n) in enumerate(zip(SHAPES, (6, 9, 3)))]
    dataset = SizeBatches(parts, batch_size=4, seed=0).dataset()
    epochs = [[(tuple(x.shape[1:3]), y.numpy()[:, 0].tolist()) for x, y in dataset] for _ in range(2)]
    assert epochs[0] != epochs[1]
    for epoch in epochs:
        assert {shape for shape, _ in epoch} == set(SHAPES)
        assert sorted(v for _, ys in epoch for v in ys) == sorted(float(v) for p in parts for v in p.y[:, 0])


def test_sizes_must_share_channels_and_targets():
    with pytest.raises(ValueError, match="same channels and targets"):
        SizeBatches([Arrays(np.zeros((2, 4, 3, 1)), np.zeros((2, 1))),
                     Arrays(np.zeros((2, 4, 4, 2)), np.zeros((2, 1)))], batch_size=2)
    with pytest.raises(ValueError, match="at least one size"):
        SizeBatches([], batch_size=2)


def antiferro_task(rng, shape, n):
    """Random Sz = 0 spins; label 1 when more than half the nearest-neighbour pairs are antiparallel (invariant
    under translations and D4, defined on every size)."""
    n_sites = shape[0] * shape[1]
    x = np.zeros((n, n_sites), "float32")
    for row in x:
        row[rng.permutation(n_sites)[: n_sites // 2]] = 1
    x = x.reshape(n, *shape, 1)
    anti = sum(np.mean(x != np.roll(x, 1, axis=axis), axis=(1, 2, 3)) for axis in (1, 2)) / 2
    return Arrays(x, (anti > np.median(anti)).astype("float32")[:, None])


def test_one_model_fits_several_sizes_and_stays_exactly_invariant(rng, monkeypatch):
    monkeypatch.setenv("KERAS_IMNN_XLA", "0")  # compiling per size costs more than this tiny fit
    train = {shape: antiferro_task(rng, shape, 64) for shape in SHAPES[:2]}
    validation = {shape: antiferro_task(rng, shape, 32) for shape in SHAPES[:2]}
    model, history = fit_sizes("magnet_inv_dilated", train, validation, filters=8, dilations=[1, 2],
                               settings=TrainSettings(epochs=5, batch_size=16, learning_rate=1e-2, patience=5,
                                                      verbose=0))
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["val_accuracy"][-1] > 0.6
    # Exactly invariant on a trained size and an unseen one: every D4 element, shifts (one predict per input shape).
    for shape in ((6, 4), (8, 4)):
        x = antiferro_task(rng, shape, 4).x
        images = [transform(x, g) for g in group_elements("d4")]  # the identity first
        images += [np.roll(x, s, axis=(1, 2)) for s in ((1, 0), (3, 2))]
        y = np.concatenate([model.predict(np.concatenate([i for i in images if i.shape[1:3] == same]),
                                          verbose=0).reshape(-1, len(x)) for same in (shape, shape[::-1])])
        assert len(y) == len(images)
        np.testing.assert_allclose(y, np.broadcast_to(y[:1], y.shape), atol=1e-5)


def test_a_fixed_size_model_is_refused():
    train = {(6, 4): Arrays(np.zeros((2, 6, 4, 1)), np.zeros((2, 1))), (4, 3): Arrays(np.zeros((2, 4, 3, 1)),
                                                                                       np.zeros((2, 1)))}
    with pytest.raises(ValueError, match="takes inputs of one size"):
        fit_sizes(keras_imnn.load("magnet_dense", weights=None), train)


def test_sampled_test_set_agrees_with_the_exact_one(tmp_path, monkeypatch):
    """The drawn-states path (above 30 spins) estimates the exact overlap and accuracy, here on 4x4."""
    pytest.importorskip("quspin")
    from keras_imnn.physics.magnet import representatives, sampling
    from keras_imnn.training.size_transfer import score_signs, size_test_set

    model = keras_imnn.load("magnet_inv", weights=None, filters=4)
    exact = score_signs(model, size_test_set("square", (4, 4), 0.5))
    gs = representatives.symmetric_ground_state("square", (4, 4), 0.5, progress=False)
    gs.save(tmp_path / representatives.ground_state_filename("square", (4, 4), 0.5))
    monkeypatch.setattr(sampling, "MAX_EXPANDED_SITES", 10)
    drawn = score_signs(model, size_test_set("square", (4, 4), 0.5, n_drawn=5000, n_uniform=2000,
                                             ground_state_dir=tmp_path))
    assert "sign_overlap_se" not in exact and 0 < drawn["sign_overlap_se"] < 0.02
    assert abs(drawn["sign_overlap"] - exact["sign_overlap"]) < 4 * drawn["sign_overlap_se"] + 1e-9
    assert abs(drawn["accuracy"] - exact["accuracy"]) < 0.04
    # A rule scores too: the Marshall sign holds on 97.5 % of the 4x4 weight at J2 = 0.5 (its violation 0.013).
    from keras_imnn.physics.magnet.ed import spins_to_states
    from keras_imnn.physics.magnet.signs import marshall_signs

    lattice = gs.lattice
    marshall = score_signs(lambda x: marshall_signs(spins_to_states(x.astype("uint8")), lattice),
                           size_test_set("square", (4, 4), 0.5, ground_state_dir=tmp_path))
    assert abs(marshall["sign_overlap"] - 0.975) < 0.02
    with pytest.raises(ValueError, match="magnet_36_spins.py --shape 4 4"):
        size_test_set("square", (4, 4), 0.5, ground_state_dir=tmp_path / "empty")
