"""Layer behaviour: periodic padding, shift/point-group equivariance, serialization, bad input.

Backend-agnostic (keras.ops only): tests/test_backend_jax.py reruns this file under JAX.
"""
import keras
import numpy as np
import pytest
from keras import ops

from keras_imnn.layers import (
    DilatedBlock,
    GroupAverage,
    InvariantPooling2D,
    PeriodicConv2D,
    PeriodicPadding2D,
    RandomLatticeSymmetry,
    SymmetricPeriodicConv2D,
    apply_element,
    group_elements,
    receptive_field,
)
from keras_imnn.layers.validation import CheckedRescaling, NonFiniteToNaN

np_ = ops.convert_to_numpy


def roll(x, shift):
    return np.roll(x, shift, axis=(1, 2))


@pytest.mark.parametrize("padding, pairs", [
    (0, ((0, 0), (0, 0))), (1, ((1, 1), (1, 1))), (3, ((3, 3), (3, 3))), ((2, 5), ((2, 2), (5, 5))),
    (((1, 4), (0, 2)), ((1, 4), (0, 2))), (13, ((13, 13), (13, 13))), (30, ((30, 30), (30, 30)))])
def test_periodic_padding_matches_numpy_wrap(rng, padding, pairs):
    x = rng.normal(size=(2, 7, 9, 3)).astype("float32")
    layer = PeriodicPadding2D(padding)
    expected = np.pad(x, ((0, 0), *pairs, (0, 0)), mode="wrap")
    np.testing.assert_array_equal(np_(layer(x)), expected)
    assert layer.compute_output_shape(x.shape) == expected.shape


def test_periodic_padding_dynamic_shape_tiles(rng):
    # Unknown spatial size at build time (size-agnostic models) takes the gather path.
    inputs = keras.Input((None, None, 2))
    model = keras.Model(inputs, PeriodicPadding2D(((5, 2), (6, 1)))(inputs))
    x = rng.normal(size=(1, 3, 4, 2)).astype("float32")
    np.testing.assert_array_equal(np_(model(x)), np.pad(x, ((0, 0), (5, 2), (6, 1), (0, 0)), mode="wrap"))


@pytest.mark.parametrize("bad", [-1, (1, 2, 3), ((1,), (2, 3)), "same"])
def test_periodic_padding_rejects_bad_padding(bad):
    with pytest.raises(ValueError, match="padding"):
        PeriodicPadding2D(bad)


def circular_conv_reference(x, kernel, dilation):
    """Direct sum over taps with modular indices: the definition of a centred circular conv."""
    kh, kw = kernel.shape[:2]
    h, w = x.shape[1:3]
    dh, dw = (dilation, dilation) if np.isscalar(dilation) else dilation
    out = np.zeros(x.shape[:3] + (kernel.shape[3],))
    span_h, span_w = dh * (kh - 1), dw * (kw - 1)
    for a in range(kh):
        for b in range(kw):
            rows = (np.arange(h) - span_h // 2 + a * dh) % h
            cols = (np.arange(w) - span_w // 2 + b * dw) % w
            out += np.einsum("nijc,cf->nijf", x[:, rows][:, :, cols], kernel[a, b])
    return out


@pytest.mark.parametrize("dilation", range(1, 9))
def test_periodic_conv_is_circular_and_shift_equivariant(rng, dilation):
    # 6×5 input: from dilation 3 on, the dilated 3×3 kernel is larger than the input.
    x = rng.normal(size=(2, 6, 5, 3)).astype("float32")
    conv = PeriodicConv2D(4, 3, dilation_rate=dilation, use_bias=False)
    y = np_(conv(x))
    assert y.shape == (2, 6, 5, 4)
    np.testing.assert_allclose(y, circular_conv_reference(x, np_(conv.kernel), dilation), atol=1e-5)
    for shift in [(1, 0), (0, 2), (3, -4), (5, 4)]:
        np.testing.assert_allclose(np_(conv(roll(x, shift))), roll(y, shift), atol=1e-5)


# Spans inside the 6×5 lattice take the padded conv, larger ones the gather of torus neighbours.
@pytest.mark.parametrize("kernel_size, dilation", [(2, 1), (4, 1), (4, 3), ((2, 3), (1, 2)), ((5, 1), (3, 7))])
def test_periodic_conv_even_and_rectangular_kernels(rng, kernel_size, dilation):
    # Even spans put the extra tap after the centre, as periodic padding (s // 2, s − s // 2) does.
    x = rng.normal(size=(2, 6, 5, 2)).astype("float32")
    conv = PeriodicConv2D(3, kernel_size, dilation_rate=dilation, use_bias=False)
    np.testing.assert_allclose(np_(conv(x)), circular_conv_reference(x, np_(conv.kernel), dilation), atol=1e-5)
    padding = [(s // 2, s - s // 2) for s in ((k - 1) * d for k, d in zip(conv.kernel_size, conv.dilation_rate))]
    padded = PeriodicPadding2D(tuple(padding))(x)
    np.testing.assert_allclose(np_(conv(x)), np_(ops.conv(padded, conv.kernel, dilation_rate=conv.dilation_rate)),
                               atol=1e-5)


def test_periodic_conv_any_lattice_size_in_one_model(rng):
    # Size-agnostic models (unknown H, W at build) run on every lattice, also inside predict's graph.
    inputs = keras.Input((None, None, 2))
    model = keras.Model(inputs, PeriodicConv2D(3, 3, dilation_rate=2, use_bias=False)(inputs))
    kernel = np_(model.layers[-1].kernel)
    for h, w in [(6, 4), (5, 7)]:
        x = rng.normal(size=(3, h, w, 2)).astype("float32")
        np.testing.assert_allclose(model.predict(x, verbose=0), circular_conv_reference(x, kernel, 2), atol=1e-5)


def test_periodic_conv_kernel_larger_than_input(rng):
    x = rng.normal(size=(1, 4, 4, 2)).astype("float32")
    conv = PeriodicConv2D(3, 7, use_bias=False)
    y = np_(conv(x))
    np.testing.assert_allclose(y, circular_conv_reference(x, np_(conv.kernel), 1), atol=1e-5)
    np.testing.assert_allclose(np_(conv(roll(x, (1, 3)))), roll(y, (1, 3)), atol=1e-5)


def test_zero_padded_conv_is_not_shift_equivariant(rng):
    # Guards the test above: the property it checks is not automatic.
    x = rng.normal(size=(1, 8, 8, 1)).astype("float32")
    conv = keras.layers.Conv2D(2, 3, padding="same")
    assert np.abs(np_(conv(roll(x, (2, 3)))) - roll(np_(conv(x)), (2, 3))).max() > 1e-2


def test_group_tables():
    assert [len(group_elements(g)) for g in ("trivial", "c2", "d2", "c4", "d4")] == [1, 2, 4, 4, 8]
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    images = {np_(apply_element(x, g)).tobytes() for g in group_elements("d4")}
    assert len(images) == 8  # all distinct: D4 acts faithfully
    for g in group_elements("d4"):
        np.testing.assert_array_equal(np_(apply_element(apply_element(x, g), g.inverse())), x)
    rot = np_(apply_element(x, group_elements("c4")[1]))[0, ..., 0]
    np.testing.assert_array_equal(rot, np.rot90(x[0, ..., 0]))
    with pytest.raises(ValueError, match="unknown symmetry group"):
        group_elements("p6m")


@pytest.mark.parametrize("group", ["d4", "c4", "d2", "c2"])
def test_symmetric_conv_commutes_with_group(rng, group):
    x = rng.normal(size=(2, 8, 8, 2)).astype("float32")
    conv = SymmetricPeriodicConv2D(3, 3, dilation_rate=2, group=group)
    y = np_(conv(x))
    for g in group_elements(group):
        np.testing.assert_allclose(np_(conv(np_(apply_element(x, g)))), np_(apply_element(y, g)), atol=1e-5)
    # A free kernel does not commute with the group.
    free = PeriodicConv2D(3, 3, dilation_rate=2)
    g = group_elements(group)[1]
    assert np.abs(np_(free(np_(apply_element(x, g)))) - np_(apply_element(np_(free(x)), g))).max() > 1e-3


def test_symmetric_conv_rejects_bad_kernels():
    with pytest.raises(ValueError, match="odd kernel"):
        SymmetricPeriodicConv2D(2, 2, group="d4")
    with pytest.raises(ValueError, match="square kernel"):
        SymmetricPeriodicConv2D(2, (3, 5), group="d4")
    with pytest.raises(ValueError, match="square input"):
        SymmetricPeriodicConv2D(2, 3, group="d4")(np.zeros((1, 6, 4, 1), "float32"))


def _invariant_trunk():
    return keras.Sequential([PeriodicConv2D(6, 3, dilation_rate=2, activation="relu"),
                             PeriodicConv2D(6, 3, activation="relu"), InvariantPooling2D(("mean", "max"))])


@pytest.mark.parametrize("group,shape", [("d4", (8, 8)), ("c4", (6, 6)), ("d2", (6, 4)), ("c2", (5, 4))])
def test_group_average_is_invariant(rng, group, shape):
    layer = GroupAverage(_invariant_trunk(), group)
    x = rng.normal(size=(3, *shape, 1)).astype("float32")
    y = np_(layer(x))
    assert y.shape == (3, 12)
    for g in group_elements(group):
        np.testing.assert_allclose(np_(layer(np_(apply_element(x, g)))), y, rtol=1e-5, atol=1e-6)
    for shift in [(1, 2), (3, 1)]:
        np.testing.assert_allclose(np_(layer(roll(x, shift))), y, rtol=1e-5, atol=1e-6)
    # Without the average, the same trunk is shift- but not point-group-invariant.
    trunk = layer.layer
    g = group_elements(group)[1]
    assert np.abs(np_(trunk(np_(apply_element(x, g)))) - np_(trunk(x))).max() > 1e-4


def test_group_average_equivariant_mode(rng):
    inner = PeriodicConv2D(2, 3)
    layer = GroupAverage(inner, "d4", equivariant=True)
    x = rng.normal(size=(1, 6, 6, 1)).astype("float32")
    y = np_(layer(x))
    for g in group_elements("d4"):
        np.testing.assert_allclose(np_(layer(np_(apply_element(x, g)))), np_(apply_element(y, g)), atol=1e-5)


def test_group_average_sampling_the_orbit_in_training_is_exact_at_inference(rng):
    layer = GroupAverage(_invariant_trunk(), "d2", orbit_training="sample", seed=1)
    x = rng.normal(size=(16, 6, 4, 1)).astype("float32")
    y = np_(layer(x))
    np.testing.assert_allclose(np_(layer(np_(apply_element(x, group_elements("d2")[3])))), y, rtol=1e-5, atol=1e-6)
    sampled = np_(layer(x, training=True))  # one random element per sample: f(g·x) for that g
    per_element = np.stack([np_(layer.layer(np_(apply_element(x, g)))) for g in group_elements("d2")], axis=1)
    np.testing.assert_allclose(per_element.mean(axis=1), y, rtol=1e-5, atol=1e-6)
    assert (np.abs(per_element - sampled[:, None]).max(axis=2).min(axis=1) < 1e-5).all()
    assert not np.allclose(sampled, y, atol=1e-4)


def test_equivariant_group_average_rejects_non_square_for_d4():
    # Equivariant outputs must map back onto the input; the invariant average takes rectangles
    # (tests/test_rotation_consistency.py).
    with pytest.raises(ValueError, match="square input"):
        GroupAverage(PeriodicConv2D(2, 3), "d4", equivariant=True)(np.zeros((1, 6, 4, 1), "float32"))


def test_invariant_pooling(rng):
    x = rng.normal(size=(2, 5, 5, 3)).astype("float32")
    y = np_(InvariantPooling2D(("mean", "max"))(x))
    np.testing.assert_allclose(y, np.concatenate([x.mean((1, 2)), x.max((1, 2))], -1), rtol=1e-6)
    with pytest.raises(ValueError, match="modes"):
        InvariantPooling2D("median")


@pytest.mark.parametrize("residual,normalization,tied", [(False, None, None), (True, "layer", "d4"),
                                                         (True, "batch", None)])
def test_dilated_block_equivariance(rng, residual, normalization, tied):
    block = DilatedBlock(5, [1, 2, 4, 8], residual=residual, normalization=normalization, tied_group=tied)
    assert block.receptive_field == receptive_field(3, [1, 2, 4, 8]) == 31
    x = rng.normal(size=(2, 8, 8, 2)).astype("float32")
    y = np_(block(x))
    assert y.shape == (2, 8, 8, 5)
    np.testing.assert_allclose(np_(block(roll(x, (3, 5)))), roll(y, (3, 5)), atol=1e-5)
    if tied:
        for g in group_elements(tied):
            np.testing.assert_allclose(np_(block(np_(apply_element(x, g)))), np_(apply_element(y, g)),
                                       atol=1e-5)


def test_dilated_block_rejects_bad_arguments():
    with pytest.raises(ValueError, match="dilations"):
        DilatedBlock(4, [])
    with pytest.raises(ValueError, match="normalization"):
        DilatedBlock(4, [1], normalization="group")


@pytest.mark.parametrize("make", [
    lambda: PeriodicPadding2D(((1, 2), (3, 0))),
    lambda: PeriodicConv2D(3, 3, dilation_rate=2, activation="relu"),
    lambda: SymmetricPeriodicConv2D(3, 3, group="c4"),
    lambda: InvariantPooling2D(("mean", "max")),
    lambda: DilatedBlock(4, [1, 2], residual=True, normalization="layer", tied_group="d2"),
    lambda: GroupAverage(_invariant_trunk(), "d4"),
    lambda: GroupAverage(_invariant_trunk(), "c4", orbit_training="sample", seed=3),
    lambda: CheckedRescaling(0.5, -1.0, shape=(6, 6, 2), square=True, model_name="m"),
])
def test_layer_serialization_round_trip(rng, make):
    layer = make()
    x = rng.normal(size=(2, 6, 6, 2)).astype("float32")
    y = np_(layer(x))
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    if not clone.built:  # serialize_keras_object carries the build config
        clone.build(x.shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(np_(clone(x)), y, rtol=1e-6)


@pytest.mark.parametrize("shape,match", [((2, 8, 8), "ndim=4"), ((2, 4, 8, 8, 1), "ndim=4")])
def test_layers_reject_wrong_rank(shape, match):
    for layer in (PeriodicConv2D(2, 3), PeriodicPadding2D(1), InvariantPooling2D()):
        with pytest.raises(ValueError, match=match):
            layer(np.zeros(shape, "float32"))


def test_checked_rescaling_refuses_shapes_in_one_line(rng):
    layer = CheckedRescaling(2.0, -1.0, shape=(None, None, 1), square=True, model_name="m")
    x = rng.normal(size=(2, 4, 4, 1)).astype("float32")
    np.testing.assert_allclose(np_(layer(x)), 2 * x - 1, rtol=1e-6)
    for shape in [(2, 4, 4, 2), (2, 4, 6, 1), (2, 4, 4)]:
        with pytest.raises(ValueError, match=r"^m expects inputs of shape \(batch, H, H, 1\); got \("):
            layer(np.zeros(shape, "float32"))


def test_non_finite_to_nan_marks_only_bad_samples(rng):
    x = rng.normal(size=(3, 4, 4, 1)).astype("float32")
    x[1, 2, 3, 0] = np.inf
    y = rng.normal(size=(3, 2)).astype("float32")
    out = np_(NonFiniteToNaN()([x, y]))
    assert np.isnan(out[1]).all()
    np.testing.assert_array_equal(out[[0, 2]], y[[0, 2]])
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(NonFiniteToNaN()))
    np.testing.assert_array_equal(np_(clone([x, y])), out)


def test_conv_rejects_wrong_channel_count_after_build():
    conv = PeriodicConv2D(2, 3)
    conv(np.zeros((1, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="expected axis -1"):
        conv(np.zeros((1, 4, 4, 3), "float32"))


def test_random_lattice_symmetry_maps_each_sample_by_a_group_element_and_shift(rng):
    x = rng.normal(size=(32, 5, 5, 2)).astype("float32")
    layer = RandomLatticeSymmetry("d4", seed=1)
    np.testing.assert_array_equal(np_(layer(x)), x)  # identity at inference
    y = np_(layer(x, training=True))
    used = set()
    for i in range(len(x)):
        matches = [(k, a, b) for k, g in enumerate(group_elements("d4"))
                   for a in range(5) for b in range(5)
                   if np.array_equal(np.roll(np_(apply_element(x[i:i + 1], g))[0], (a, b), (0, 1)), y[i])]
        assert matches, f"sample {i} is not a symmetry image of its input"
        used.add(matches[0])
    assert len(used) > 10  # per-sample randomness, not one transform for the whole batch


def test_orbit_is_translations_detects_symmetric_cells(rng):
    from keras_imnn.layers.symmetry import orbit_is_translations

    # An orbit sum is D4-symmetric; shifted off-centre, each of its D4 images is a shift of it.
    base = rng.integers(1, 20, size=(8, 8)).astype("float32")  # integers: orbit sums are exact
    sym = sum(np.asarray(apply_element(base[None, ..., None], g))[0, ..., 0] for g in group_elements("d4"))
    cells = np.stack([np.roll(sym, (3, 5), axis=(0, 1)), sym])[..., None]
    assert orbit_is_translations(cells, "d4")
    assert orbit_is_translations(base[None, ..., None], "trivial")
    assert not orbit_is_translations(base[None, ..., None], "d2")
    broken = cells.copy()
    broken[1, 2, 3, 0] += 1e-3  # one pixel off: no longer exactly symmetric
    assert not orbit_is_translations(broken, "d4")
    with pytest.raises(ValueError, match=r"\(N, H, W, C\)"):
        orbit_is_translations(base, "d4")
