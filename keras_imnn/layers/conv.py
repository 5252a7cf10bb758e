"""Periodic (circular) convolutions: exactly equivariant to every periodic shift, any dilation."""
from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_imnn.layers.padding import periodic_pad
from keras_imnn.layers.symmetry import check_group_fits, normalize_group, symmetrize_kernel
from keras_imnn.layers.validation import check_spatial_input


def _pair(value: int | tuple[int, int], name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and v >= 1 for v in pair):
        raise ValueError(f"{name} must be a positive int or a pair of them; got {value!r}")
    return pair


def effective_kernel_size(kernel_size: int, dilation: int) -> int:
    """Span in pixels of a dilated kernel: d·(k − 1) + 1."""
    return dilation * (kernel_size - 1) + 1


def periodic_conv(x: Any, kernel: Any, dilation_rate: tuple[int, int]) -> Any:
    """Circular convolution, centred like a 'same' one: ``(B, H, W, C)``, ``(kh, kw, C, F)`` → ``(B, H, W, F)``.

    When the dilated kernel fits in the lattice: periodic padding, then a valid ``ops.conv``. When it
    does not (small spin lattices, large dilations), or H, W are unknown, the padding would tile the
    input and TensorFlow's dilated conv (space-to-batch) gets up to 7× slower in training: then a
    gather of each site's k_h·k_w torus neighbours and one matmul, whose cost does not grow with the
    dilation.
    """
    kh, kw, c_in, filters = kernel.shape
    (dh, dw), shape = dilation_rate, ops.shape(x)
    h, w = shape[1], shape[2]
    span_h, span_w = effective_kernel_size(kh, dh) - 1, effective_kernel_size(kw, dw) - 1
    if isinstance(h, int) and isinstance(w, int) and span_h < h and span_w < w:
        padded = periodic_pad(x, ((span_h // 2, span_h - span_h // 2), (span_w // 2, span_w - span_w // 2)))
        return ops.conv(padded, kernel, padding="valid", dilation_rate=dilation_rate)
    # Tap (a, b) of output site (i, j) reads site (i + a·dh − top, j + b·dw − left) mod (H, W).
    # int32 throughout: an unknown H is an int32 tensor, while arange of an int follows floatx (int64 under float64).
    rows = (ops.arange(h, dtype="int32")[:, None] + ops.arange(kh, dtype="int32")[None, :] * dh - span_h // 2) % h
    cols = (ops.arange(w, dtype="int32")[:, None] + ops.arange(kw, dtype="int32")[None, :] * dw - span_w // 2) % w
    sites = rows[:, None, :, None] * w + cols[None, :, None, :]  # (H, W, kh, kw)
    # The batch size, not -1: another channel count must fail here, not be folded into the batch.
    taps = ops.take(ops.reshape(x, (shape[0], h * w, c_in)), ops.reshape(sites, (-1,)), axis=1)
    y = ops.matmul(ops.reshape(taps, (-1, h * w, kh * kw * c_in)), ops.reshape(kernel, (kh * kw * c_in, filters)))
    return ops.reshape(y, (-1, h, w, filters))


@keras.saving.register_keras_serializable(package="keras_imnn")
class PeriodicConv2D(keras.layers.Layer):
    """2D convolution on a torus (circular, stride 1, centred like a 'same' convolution).

    The output keeps H×W and commutes exactly with every periodic shift of the input, for any
    dilation, also when the dilated kernel is larger than the input (its taps wrap around).

    Args:
        filters: output channels.
        kernel_size: int or (kh, kw).
        dilation_rate: int or (dh, dw).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, kernel_constraint, bias_constraint: as in ``keras.layers.Conv2D``.

    Input ``(batch, H, W, C_in)`` → output ``(batch, H, W, filters)`` (channels last only).
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, int],
        dilation_rate: int | tuple[int, int] = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(f"filters must be a positive int; got {filters!r}")
        self.filters = filters
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.dilation_rate = _pair(dilation_rate, "dilation_rate")
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def build(self, input_shape: tuple) -> None:
        check_spatial_input(input_shape, self.name)
        if input_shape[-1] is None:
            raise ValueError(f"{self.name}: the channel dimension of the input must be known.")
        in_channels = int(input_shape[-1])
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, in_channels, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = (
            self.add_weight(
                name="bias",
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
            if self.use_bias
            else None
        )
        self.input_spec = keras.layers.InputSpec(ndim=4, axes={-1: in_channels})

    def effective_kernel(self) -> Any:
        """The kernel the convolution uses (subclasses tie it)."""
        return self.kernel

    def call(self, inputs: Any) -> Any:
        y = periodic_conv(inputs, self.effective_kernel(), self.dilation_rate)
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], self.filters)

    def get_config(self) -> dict:
        ser = keras.saving.serialize_keras_object
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "dilation_rate": self.dilation_rate,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": ser(self.kernel_initializer),
            "bias_initializer": ser(self.bias_initializer),
            "kernel_regularizer": ser(self.kernel_regularizer),
            "bias_regularizer": ser(self.bias_regularizer),
            "kernel_constraint": ser(self.kernel_constraint),
            "bias_constraint": ser(self.bias_constraint),
        }


@keras.saving.register_keras_serializable(package="keras_imnn")
class SymmetricPeriodicConv2D(PeriodicConv2D):
    """``PeriodicConv2D`` whose kernel is tied to be invariant under a point group.

    The stored kernel is free; the one used is its group average, so every (c_in, c_out) slice is
    G-symmetric and the layer commutes with every element of G (and every periodic shift). Features
    stay G-scalars, so global pooling after a stack of these layers is exactly G-invariant.

    Args:
        group: "d4", "c4" (square inputs only), "d2" or "c2".
        Other arguments as ``PeriodicConv2D``; kernel sizes must be odd (a centred tap).
    """

    def __init__(self, filters: int, kernel_size: int | tuple[int, int], group: str = "d4",
                 **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, **kwargs)
        self.group = normalize_group(group)
        if any(k % 2 == 0 for k in self.kernel_size):
            raise ValueError(
                f"{self.name}: a symmetric kernel needs odd kernel sizes (a centre tap); got "
                f"{self.kernel_size}."
            )
        if self.group in ("c4", "d4") and (
            self.kernel_size[0] != self.kernel_size[1] or self.dilation_rate[0] != self.dilation_rate[1]
        ):
            raise ValueError(
                f"{self.name}: group {self.group!r} needs a square kernel and equal dilations; got "
                f"kernel_size={self.kernel_size}, dilation_rate={self.dilation_rate}."
            )

    def build(self, input_shape: tuple) -> None:
        check_spatial_input(input_shape, self.name)
        check_group_fits(self.group, input_shape[1], input_shape[2], self.name)
        super().build(input_shape)

    def effective_kernel(self) -> Any:
        return symmetrize_kernel(self.kernel, self.group)

    def call(self, inputs: Any) -> Any:
        check_group_fits(self.group, inputs.shape[1], inputs.shape[2], self.name)
        return super().call(inputs)

    def get_config(self) -> dict:
        return {**super().get_config(), "group": self.group}
