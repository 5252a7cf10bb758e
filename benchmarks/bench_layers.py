"""Inference throughput of the zoo models vs a plain Conv2D stack, and periodic vs zero padding.

The periodic stack is also timed as the textbook periodic padding + dilated ``Conv2D``, on 32×32
cells and a 6×4 spin lattice, in inference and in training (``PeriodicConv2D`` gathers torus
neighbours where the dilated kernel spans the lattice).

    python benchmarks/bench_layers.py [--batch 256] [--samples 2048] [--repeats 5]

Everything is timed side by side in one run (interleaved repeats, best of N), so the printed
ratios hold on whatever machine runs it; absolute samples/s depend on the machine.
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

import keras_imnn
from keras_imnn.layers import PeriodicConv2D, PeriodicPadding2D
from keras_imnn.models.registry import get_spec

CHANNELS, DILATIONS = 32, (1, 2, 3)


STACKS = {"conv2d_stack (zero padding)": "zero", "periodic_stack": "periodic",
          "periodic_stack (pad + Conv2D)": "pad"}


def conv_stack(padding: str, shape: tuple[int, int, int]) -> keras.Model:
    """Three 3×3 convs of 32 channels, dilations [1, 2, 3]: ``"zero"`` ('same') padding, ``"periodic"``
    (``PeriodicConv2D``) or ``"pad"`` (``PeriodicPadding2D`` then a valid dilated ``Conv2D``)."""
    inputs = keras.Input(shape)
    x = inputs
    for d in DILATIONS:
        if padding == "periodic":
            x = PeriodicConv2D(CHANNELS, 3, dilation_rate=d, activation="relu")(x)
            continue
        if padding == "pad":
            x = PeriodicPadding2D(d)(x)
        x = keras.layers.Conv2D(CHANNELS, 3, dilation_rate=d, activation="relu",
                                padding="same" if padding == "zero" else "valid")(x)
    outputs = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, outputs, name=f"{padding}_stack")


def time_models(models: dict[str, tuple[keras.Model, np.ndarray]], batch: int, repeats: int,
                train: bool = False) -> dict[str, float]:
    """Best-of-``repeats`` seconds per sample of ``predict`` (or of one epoch of ``fit``, compiled
    with XLA as ``keras_imnn`` trains), repeats interleaved across models."""

    def run(model: keras.Model, x: np.ndarray) -> None:
        if train:
            model.fit(x, np.zeros((len(x), 1), "float32"), batch_size=batch, epochs=1, verbose=0)
        else:
            model.predict(x, batch_size=batch, verbose=0)

    best = {name: np.inf for name in models}
    for model, x in models.values():
        if train:
            model.compile("adam", "mse", jit_compile=True)
        run(model, x[:batch])  # trace / compile
    for _ in range(repeats):
        for name, (model, x) in models.items():
            start = time.perf_counter()
            run(model, x)
            best[name] = min(best[name], (time.perf_counter() - start) / len(x))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    def inputs(shape: tuple[int, ...]) -> np.ndarray:
        return rng.uniform(1, 20, size=(args.samples, *shape)).astype("float32")

    x32, x64 = inputs((32, 32, 1)), inputs((6, 4, 1))
    stacks = {f"{label}{suffix}": (x, padding) for suffix, x in (("", x32), (" 6×4", x64))
              for label, padding in STACKS.items()}
    models = {name: (conv_stack(padding, x.shape[1:]), x) for name, (x, padding) in stacks.items()}
    for name in keras_imnn.list_models():
        shape = get_spec(name).config.input_shape
        # Size-agnostic models are timed on 32×32 like the photonic ones; fixed ones on their own size.
        shape = (32, 32, 1) if None in shape else shape
        models[name] = (keras_imnn.load(name, pretrained=False), inputs(shape))
    models["photonic_inv_dilated (tied)"] = (
        keras_imnn.load("photonic_inv_dilated", pretrained=False, invariance="tied"), x32)
    seconds = time_models(models, args.batch, args.repeats)
    base = seconds["conv2d_stack (zero padding)"]

    print(f"backend {keras.backend.backend()}, batch {args.batch}, {args.samples} samples, "
          f"best of {args.repeats}, {os.cpu_count()} CPUs")
    print("| model | input | params | samples/s | time vs Conv2D stack |\n|---|---|---|---|---|")
    for name, (model, x) in models.items():
        print(f"| {name} | {'×'.join(map(str, x.shape[1:3]))} | {model.count_params():,} | "
              f"{1 / seconds[name]:,.0f} | {seconds[name] / base:.2f}× |")
    overhead = seconds["periodic_stack"] / base
    print(f"\nperiodic over zero padding (same 3-layer dilated stack): {overhead:.2f}× "
          f"(target ≤ 1.30×: {'met' if overhead <= 1.3 else 'NOT met'})")

    training = time_models({name: (conv_stack(padding, x.shape[1:]), x) for name, (x, padding) in stacks.items()
                            if padding != "zero"}, args.batch, args.repeats, train=True)
    print("\ntraining (fit, XLA), samples/s, and PeriodicConv2D vs periodic padding + dilated Conv2D:")
    for suffix in ("", " 6×4"):
        ours, padded = training[f"periodic_stack{suffix}"], training[f"periodic_stack (pad + Conv2D){suffix}"]
        print(f"{suffix.strip() or '32×32'}: PeriodicConv2D {1 / ours:,.0f}, pad + Conv2D {1 / padded:,.0f}: "
              f"{padded / ours:.2f}× faster")


if __name__ == "__main__":
    main()
