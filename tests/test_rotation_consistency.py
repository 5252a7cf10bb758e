"""D4 and C4 on rectangles: a size-agnostic invariant model gives the same output on a
configuration and on its 90°-rotated copy on the rotated lattice.

``GroupAverage`` runs the transposed (W x H) copies of an H x W input as a second batch, so every element of
D4 and every periodic shift leaves the output unchanged, on squares and on rectangles alike; equivariant
wrappers, tied kernels and fixed-size models keep the square rule.
"""
from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest

import keras_imnn
from keras_imnn.groups import group_elements, transform, transposes
from keras_imnn.layers import GroupAverage, InvariantPooling2D, PeriodicConv2D
from keras_imnn.models.builders import build_model, needs_square_input
from keras_imnn.models.config import ModelConfig

SHAPES = [(6, 4), (4, 4), (3, 5)]
TOL = dict(rtol=1e-5, atol=1e-6)


def np_(x):
    return keras.ops.convert_to_numpy(x)


def _trunk():
    # Dilation 2 on a 3 x 5 lattice wraps around: still periodic, still size-agnostic.
    return keras.Sequential([PeriodicConv2D(6, 3, dilation_rate=2, activation="relu"),
                             PeriodicConv2D(6, 3, activation="relu"), InvariantPooling2D(("mean", "max"))])


def _assert_invariant(f, x, y, group="d4"):
    """f on every image of x (n, H, W, C) under ``group`` and every periodic shift (H x W and, transposed,
    W x H arrays, batched by shape) equals y."""
    by_shape = {}
    for shift, g in itertools.product(itertools.product(range(x.shape[1]), range(x.shape[2])), group_elements(group)):
        image = np.ascontiguousarray(transform(np.roll(x, shift, (1, 2)), g))
        by_shape.setdefault(image.shape, []).append((shift, g, image))
    for images in by_shape.values():
        out = np_(f(np.concatenate([image for *_, image in images])))
        for (shift, g, _), part in zip(images, np.split(out, len(images))):
            np.testing.assert_allclose(part, y, **TOL, err_msg=f"{x.shape[1:3]}: {g}, shift {shift}")


def _spins(rng, shape, n=4):
    return rng.integers(0, 2, size=(n, *shape, 1)).astype("float32")


@pytest.mark.parametrize("group", ["d4", "c4"])
@pytest.mark.parametrize("shape", SHAPES)
def test_group_average_is_invariant_across_the_rotated_lattice(rng, group, shape):
    layer = GroupAverage(_trunk(), group)
    x = rng.normal(size=(3, *shape, 1)).astype("float32")
    y = np_(layer(x))
    assert y.shape == (3, 12)
    _assert_invariant(layer, x, y, group)
    # The trunk alone is not invariant: rot90 (transpose, then flip rows) changes its output.
    rot90 = np.ascontiguousarray(np.rot90(x, axes=(1, 2)))
    assert np.abs(np_(layer.layer(rot90)) - np_(layer.layer(x))).max() > 1e-4
    np.testing.assert_allclose(np_(layer(rot90)), y, **TOL)


def test_d2_average_does_not_tie_a_rectangle_to_its_rotated_copy(rng):
    layer = GroupAverage(_trunk(), "d2")
    x = rng.normal(size=(3, 6, 4, 1)).astype("float32")
    rot90 = np.ascontiguousarray(np.rot90(x, axes=(1, 2)))
    assert np.abs(np_(layer(rot90)) - np_(layer(x))).max() > 1e-4


@pytest.mark.parametrize("shape", [(6, 4), (3, 5)])
def test_sampled_orbit_training_on_rectangles(rng, shape):
    layer = GroupAverage(_trunk(), "d4", orbit_training="sample", seed=3)
    x = rng.normal(size=(32, *shape, 1)).astype("float32")
    y = np_(layer(x))  # inference: the exact average, invariant under all of D4
    for g in group_elements("d4"):
        np.testing.assert_allclose(np_(layer(np.ascontiguousarray(transform(x, g)))), y, **TOL)
    sampled = np_(layer(x, training=True))  # f(g·x) for one random g per example, transposed or not
    per_element = np.stack([np_(layer.layer(np.ascontiguousarray(transform(x, g)))) for g in group_elements("d4")],
                           axis=1)
    np.testing.assert_allclose(per_element.mean(axis=1), y, **TOL)
    distance = np.abs(per_element - sampled[:, None]).max(axis=2)
    assert (distance.min(axis=1) < 1e-5).all()
    drawn = distance.argmin(axis=1)
    assert len(set(drawn.tolist())) >= 6  # 32 draws from 8 elements: both halves of D4 are drawn
    assert {bool(group_elements("d4")[i].transpose) for i in drawn} == {False, True}


def test_equivariant_d4_still_needs_squares(rng):
    layer = GroupAverage(PeriodicConv2D(2, 3), "d4", equivariant=True)
    with pytest.raises(ValueError, match=r"needs a square input.*'d2' or 'c2'.*equivariant=False"):
        layer(np.zeros((1, 6, 4, 1), "float32"))
    x = rng.normal(size=(1, 4, 4, 1)).astype("float32")
    y = np_(GroupAverage(PeriodicConv2D(2, 3), "d4", equivariant=True)(x))
    assert y.shape == (1, 4, 4, 2)


def _size_agnostic(**overrides):
    base = dict(arch="inv", input_shape=(None, None, 1), group="d4", filters=6, dilations=(1, 2),
                input_scale=2.0, input_offset=-1.0)
    return ModelConfig(**{**base, **overrides})


def test_which_configs_need_square_inputs():
    assert not needs_square_input(_size_agnostic())
    assert not needs_square_input(_size_agnostic(group="c4", orbit_training="sample"))
    assert not needs_square_input(_size_agnostic(group="d2"))
    assert needs_square_input(_size_agnostic(invariance="tied"))
    assert needs_square_input(_size_agnostic(input_shape=(4, 4, 1)))
    assert needs_square_input(_size_agnostic(input_shape=(None, 4, 1)))
    assert not needs_square_input(_size_agnostic(arch="dense", input_shape=(6, 4, 1)))


@pytest.mark.parametrize("orbit_training", ["exact", "sample"])
def test_size_agnostic_d4_model_is_invariant_and_round_trips(rng, tmp_path, orbit_training):
    model = build_model(_size_agnostic(orbit_training=orbit_training), name="m")
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    for shape in SHAPES:
        x = _spins(rng, shape)
        y = model.predict(x, verbose=0)
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), y)
        assert np.abs(y).max() > 1e-3  # not a constant model
        _assert_invariant(lambda images: model.predict(images, verbose=0), x, y)
        rot90 = np.ascontiguousarray(np.rot90(x, axes=(1, 2)))
        np.testing.assert_allclose(loaded(rot90), y, **TOL)  # eager call of the loaded model too


def test_size_agnostic_d4_model_trains_on_rectangles(rng):
    # Both orbit trainings, compiled with XLA as the training code does: the rectangles' two batches trace.
    x = np.concatenate([_spins(rng, (6, 4), 32)])
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("float32")[:, None]
    for orbit_training in ("exact", "sample"):
        model = build_model(_size_agnostic(orbit_training=orbit_training), name="m")
        model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True), jit_compile=True)
        before = [w.copy() for w in model.get_weights()]
        history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
        assert np.isfinite(history.history["loss"]).all()
        assert any(np.abs(a - b).max() > 0 for a, b in zip(before, model.get_weights()))
        rot90 = np.ascontiguousarray(np.rot90(x, axes=(1, 2)))
        np.testing.assert_allclose(model.predict(rot90, verbose=0), model.predict(x, verbose=0), **TOL)


def test_square_rule_kept_where_it_applies_and_errors_say_what_is_accepted():
    with pytest.raises(ValueError, match=r"needs a square input.*'d2' or 'c2'.*\(None, None, C\)"):
        build_model(_size_agnostic(input_shape=(6, 4, 1)))
    tied = build_model(_size_agnostic(invariance="tied"), name="tied")
    with pytest.raises(ValueError, match=r"tied expects inputs of shape \(batch, H, H, 1\)"):
        tied(np.zeros((2, 6, 4, 1), "float32"))
    assert transposes("d4") and transposes("c4") and not transposes("d2") and not transposes(None)


@pytest.mark.parametrize("name", ["magnet_inv", "magnet_inv_dilated"])
def test_d4_checkpoints_are_the_d4_average_of_their_trunk(rng, name):
    """The shipped magnet checkpoints (retrained with D4) average the trunk over all of D4 on a rectangle, the
    transposed elements included."""
    model = keras_imnn.load(name)
    cfg = keras_imnn.models.registry.get_spec(name).config
    assert cfg.group == "d4" and model.get_layer("group_average").group == "d4"
    x = _spins(rng, (6, 4), 8)
    y = model.predict(x, verbose=0)
    trunk = model.get_layer("group_average").layer
    head = model.get_layer("output")
    manual = np.mean([np_(head(trunk(2 * np.ascontiguousarray(transform(x, g)) - 1))) for g in group_elements("d4")],
                     axis=0)
    np.testing.assert_allclose(y, manual, rtol=1e-5, atol=1e-5)  # float32 sums of 8 logits up to ~4 in size
    with pytest.raises(ValueError, match=r"another .* config \(group: 'd4' → 'd2'\)"):
        keras_imnn.load(name, group="d2")


@pytest.mark.parametrize("name", ["magnet_inv", "magnet_inv_dilated"])
def test_shipped_magnet_checkpoints_agree_on_a_lattice_and_its_rotated_copy(name):
    model = keras_imnn.load(name)
    x = np.random.default_rng(0).integers(0, 2, (16, 6, 4, 1)).astype("float32")
    np.testing.assert_allclose(np_(model(np.rot90(x, axes=(1, 2)))), np_(model(x)), **TOL)
