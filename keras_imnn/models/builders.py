"""Build a ``keras.Model`` from a ``ModelConfig``: the one place where architectures are code."""
from __future__ import annotations

import keras

from keras_imnn.lattices import LATTICES
from keras_imnn.layers import BandEdges, DilatedBlock, GroupAverage, InvariantPooling2D, RandomLatticeSymmetry
from keras_imnn.layers.lattice_symmetry import LatticeAverage, RandomLatticePermutation
from keras_imnn.layers.symmetry import SQUARE_ONLY, check_group_fits, normalize_group
from keras_imnn.layers.validation import CheckedRescaling, NonFiniteToNaN
from keras_imnn.models.config import ModelConfig
from keras_imnn.models.zoo_model import ZooModel


def _trunk_cnn(x: keras.KerasTensor, cfg: ModelConfig) -> keras.KerasTensor:
    # The "standard approach": zero padding and pooled downsampling break both symmetries.
    for i, d in enumerate(cfg.dilations):
        x = keras.layers.Conv2D(cfg.filters * 2**i, cfg.kernel_size, dilation_rate=d, padding="same",
                                activation="relu", name=f"conv_{i}")(x)
        x = keras.layers.MaxPooling2D(2, padding="same", name=f"pool_{i}")(x)
    return keras.layers.Flatten(name="flatten")(x)


def _trunk_inv(x: keras.KerasTensor, cfg: ModelConfig) -> keras.KerasTensor:
    if cfg.group in LATTICES:  # the lattice's own point group, acting on sites (channels) too
        trunk = keras.Sequential([DilatedBlock(cfg.filters, cfg.dilations, cfg.kernel_size, residual=cfg.residual,
                                               normalization=cfg.normalization, name="dilated_block"),
                                  InvariantPooling2D(cfg.pooling, name="invariant_pooling")], name="trunk")
        return LatticeAverage(trunk, cfg.group, name="lattice_average")(x)
    group = normalize_group(cfg.group)
    tied = cfg.invariance == "tied" and group != "trivial"
    block = DilatedBlock(cfg.filters, cfg.dilations, cfg.kernel_size, residual=cfg.residual,
                         normalization=cfg.normalization, tied_group=group if tied else None,
                         name="dilated_block")
    pooling = InvariantPooling2D(cfg.pooling, name="invariant_pooling")
    if tied or group == "trivial":
        return pooling(block(x))
    trunk = keras.Sequential([block, pooling], name="trunk")
    return GroupAverage(trunk, group, orbit_training=cfg.orbit_training, name="group_average")(x)


def needs_square_input(cfg: ModelConfig) -> bool:
    """Whether a model of ``cfg`` takes square inputs only: an "inv" model whose group has 90° rotations or
    transposes (D4, C4), unless it is size-agnostic (input_shape ``(None, None, C)``) and orbit-averaged.

    A size-agnostic orbit average runs the transposed copies of an ``H x W`` input as ``W x H`` arrays
    through the same trunk (``GroupAverage``), so its output on a lattice equals that on the 90°-rotated
    lattice. Tied kernels (``SymmetricPeriodicConv2D``) and a fixed size keep the square rule.
    """
    if cfg.arch != "inv" or cfg.group in LATTICES or normalize_group(cfg.group) not in SQUARE_ONLY:
        return False
    size_agnostic = cfg.input_shape[0] is None and cfg.input_shape[1] is None
    return not (size_agnostic and cfg.invariance == "orbit")


def build_model(cfg: ModelConfig, name: str = "imnn", include_top: bool = True) -> ZooModel:
    """The functional model for ``cfg``: input ``(batch, *cfg.input_shape)`` → ``(batch, outputs)``.

    With ``include_top=False`` the model stops before the dense head and returns the trunk's features
    ``(batch, feature_width(cfg))``. Its layers are the full model's up to the head, so the trunk's weights of a
    full checkpoint load into it (Keras ignores the head's). Either way every call checks the input's shape (one
    ValueError saying what the model accepts), and a sample with a NaN or infinite input value gets NaN outputs.
    """
    square = needs_square_input(cfg)
    if square:
        check_group_fits(normalize_group(cfg.group), cfg.input_shape[0], cfg.input_shape[1], "model config",
                         alternatives=", or 'd4'/'c4' with input_shape (None, None, C) and invariance 'orbit' (a "
                                      "size-agnostic model averages over the rotations that map H x W to W x H)")
    inputs = keras.Input(shape=cfg.input_shape, name="inputs")
    x = CheckedRescaling(cfg.input_scale, cfg.input_offset, shape=cfg.input_shape, square=square,
                         model_name=name, name="normalize")(inputs)
    if cfg.augment is not None:
        augment = RandomLatticePermutation if cfg.augment in LATTICES else RandomLatticeSymmetry
        x = augment(cfg.augment, name="augment")(x)
    if cfg.arch == "cnn":
        x = _trunk_cnn(x, cfg)
    elif cfg.arch == "inv":
        x = _trunk_inv(x, cfg)
    else:
        x = keras.layers.Flatten(name="flatten")(x)
    if include_top:
        for i, units in enumerate(cfg.head_units):
            x = keras.layers.Dense(units, activation="relu", name=f"head_{i}")(x)
        x = keras.layers.Dense(cfg.outputs, name="output")(x)
        if cfg.head == "band_edges":
            x = BandEdges(name="band_edges")(x)
    outputs = NonFiniteToNaN(name="non_finite_to_nan")([inputs, x])
    model = ZooModel(inputs, outputs, name=name)
    # Keras' own check of the input ("expected shape=(None, 32, 32, 1), found shape=(4, 31, 32)") would
    # speak first: leave it to the "normalize" layer, which says what the model accepts.
    model.input_spec = None
    return model


def feature_width(cfg: ModelConfig) -> int:
    """Width of the features ``include_top=False`` returns: the pooled channels of an "inv" trunk (exactly
    invariant), else the flattened trunk (not invariant)."""
    if cfg.arch == "inv":
        return cfg.filters * len(cfg.pooling)
    h, w, c = cfg.input_shape
    if cfg.arch == "cnn":
        for _ in cfg.dilations:  # each 2×2 "same" max pooling rounds up
            h, w = -(-h // 2), -(-w // 2)
        c = cfg.filters * 2 ** (len(cfg.dilations) - 1)
    return h * w * c
