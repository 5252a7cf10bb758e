"""`keras-imnn demo`: the pretrained multiscale model against the band solver, on new cells."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from keras_imnn.cli import positive_int, seed_int

# Not the datasets' seed (0): the demo's cells were never seen in training.
DEMO_SEED = 2406


def run_demo(n_cells: int = 6, model_name: str = "photonic_inv_dilated", seed: int = DEMO_SEED,
             out: str | Path = "imnn_demo.png") -> dict[str, np.ndarray]:
    """Predict the TM gap-to-midgap ratio (bands 1–2) of ``n_cells`` fresh ``gapped`` cells with
    the pretrained ``model_name``, compute it with the band solver, print both and draw a PNG.

    Returns ``{"eps": (n, 32, 32), "solver": (n,), "model": (n,)}``.
    """
    import keras_imnn
    from keras_imnn.models.registry import get_spec
    from keras_imnn.physics.photonic.cells import random_unit_cells
    from keras_imnn.physics.photonic.solver import band_gaps, band_structure, k_grid
    from keras_imnn.tasks.photonic_gap import gap_to_midgap

    if n_cells < 1:
        raise ValueError(f"n_cells must be >= 1; got {n_cells}")
    task = get_spec(model_name).task
    if task != "photonic":
        raise ValueError(f"{model_name} is a {task} model; the demo predicts photonic band gaps: "
                         f"choose one of {', '.join(keras_imnn.list_models('photonic'))}")
    model = keras_imnn.load(model_name)
    eps = random_unit_cells(n_cells, "gapped", seed)
    start = time.perf_counter()
    bands = band_structure(eps, k_grid(16), 2, "tm", progress=True)
    gaps, midgaps = band_gaps(bands)
    solver = gap_to_midgap(gaps[:, 0], midgaps[:, 0])
    solved = time.perf_counter() - start
    start = time.perf_counter()
    predicted = model.predict(eps[..., None].astype(np.float32), verbose=0)[:, 0]
    inferred = time.perf_counter() - start

    print(f"\n{model_name} vs the plane-wave band solver on {n_cells} new 'gapped' cells "
          f"(TM gap-to-midgap ratio, bands 1-2, k_grid(16)):\n")
    print(f"{'cell':>4}  {'eps min':>7}  {'eps max':>7}  {'solver':>7}  {'model':>7}  {'|error|':>7}")
    for i in range(n_cells):
        print(f"{i:>4}  {eps[i].min():7.2f}  {eps[i].max():7.2f}  {solver[i]:7.3f}  {predicted[i]:7.3f}  "
              f"{abs(predicted[i] - solver[i]):7.3f}")
    print(f"\nmean |error| {np.mean(np.abs(predicted - solver)):.4f}; solver {solved:.2f} s, "
          f"model {inferred:.2f} s")
    _plot(eps, solver, predicted, Path(out))
    print(f"wrote {out}")
    return {"eps": eps, "solver": solver, "model": predicted}


def _plot(eps: np.ndarray, solver: np.ndarray, predicted: np.ndarray, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(len(eps), 3)
    rows = -(-len(eps) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.4 * rows), squeeze=False)
    for ax, cell, s, p in zip(axes.flat, eps, solver, predicted):
        image = ax.imshow(cell.T, origin="lower", cmap="viridis", extent=(0, 1, 0, 1))
        ax.set_title(f"solver {s:.3f} | model {p:.3f}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(image, ax=ax, fraction=0.046, label="ε")
    for ax in list(axes.flat)[len(eps):]:
        ax.axis("off")
    fig.suptitle("TM gap-to-midgap ratio (bands 1–2)")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)


def _demo(args: argparse.Namespace) -> int:
    run_demo(args.n, args.model, args.seed, args.out)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``demo``."""
    p = sub.add_parser("demo", help="pretrained photonic_inv_dilated vs the band solver on new cells")
    p.add_argument("--n", type=positive_int, default=6, help="number of new cells (default 6)")
    p.add_argument("--model", default="photonic_inv_dilated", help="a photonic zoo model with weights")
    p.add_argument("--seed", type=seed_int, default=DEMO_SEED)
    p.add_argument("--out", default="imnn_demo.png", help="PNG of the cells with both numbers")
    p.set_defaults(func=_demo)
