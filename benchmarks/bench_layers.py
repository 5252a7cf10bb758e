"""Inference throughput of the zoo models vs a plain Conv2D stack, and periodic vs zero padding.

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
from keras_imnn.layers import PeriodicConv2D
from keras_imnn.models.registry import get_spec

CHANNELS, DILATIONS = 32, (1, 2, 3)


def conv_stack(periodic: bool, shape: tuple[int, int, int]) -> keras.Model:
    """Three 3×3 convs of 32 channels, dilations [1, 2, 3], periodic or zero ('same') padding."""
    inputs = keras.Input(shape)
    x = inputs
    for d in DILATIONS:
        x = (PeriodicConv2D(CHANNELS, 3, dilation_rate=d, activation="relu")(x) if periodic else
             keras.layers.Conv2D(CHANNELS, 3, dilation_rate=d, padding="same", activation="relu")(x))
    outputs = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, outputs, name="periodic_stack" if periodic else "conv2d_stack")


def time_models(models: dict[str, tuple[keras.Model, np.ndarray]], batch: int, repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` seconds per sample, repeats interleaved across models."""
    best = {name: np.inf for name in models}
    for model, x in models.values():
        model.predict(x[:batch], batch_size=batch, verbose=0)  # trace / compile
    for _ in range(repeats):
        for name, (model, x) in models.items():
            start = time.perf_counter()
            model.predict(x, batch_size=batch, verbose=0)
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

    x32 = inputs((32, 32, 1))
    models = {"conv2d_stack (zero padding)": (conv_stack(False, (32, 32, 1)), x32),
              "periodic_stack": (conv_stack(True, (32, 32, 1)), x32)}
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
    print(f"| model | input | params | samples/s | time vs Conv2D stack |\n|---|---|---|---|---|")
    for name, (model, x) in models.items():
        print(f"| {name} | {'×'.join(map(str, x.shape[1:3]))} | {model.count_params():,} | "
              f"{1 / seconds[name]:,.0f} | {seconds[name] / base:.2f}× |")
    overhead = seconds["periodic_stack"] / base
    print(f"\nperiodic over zero padding (same 3-layer dilated stack): {overhead:.2f}× "
          f"(target ≤ 1.30×: {'met' if overhead <= 1.3 else 'NOT met'})")


if __name__ == "__main__":
    main()
