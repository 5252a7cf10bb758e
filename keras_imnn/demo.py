"""`keras-imnn demo`: the pretrained multiscale model against the band solver, on new cells of many kinds."""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from keras_imnn.atomic import atomic_path
from keras_imnn.cli_options import int_in, png_path, seed_int

if TYPE_CHECKING:
    from keras_imnn.physics.photonic.cells import UnitCells

# Not the datasets' seed (0): the demo's cells were never seen in training.
DEMO_SEED = 2406
DEFAULT_N_CELLS = 8
#: Cells one demo picture can show (a grid of 3-inch panels) and the solver labels in seconds.
MAX_N_CELLS = 64
_SHAPES = ("circle", "ellipse", "rectangle", "cross", "ring", "several")
# The demo's cells in order: one of each kind (family, ε of the inclusion, ε of the background) while
# n_cells lasts, then further cells of the ``general`` mix as they come.
_KINDS = (
    lambda family, inside, background: family == "gapped",  # C4v high-index inclusions
    lambda family, inside, background: family == "sibcl",  # Fourier level sets, no symmetry
    lambda family, inside, background: family == "circle" and background == 1.0,  # dielectric rods in air
    lambda family, inside, background: family == "circle" and inside == 1.0,  # air holes in a dielectric
    lambda family, inside, background: family == "ring",
    lambda family, inside, background: family == "several",  # 2-4 shapes of random kinds
    lambda family, inside, background: family == "ellipse",
    lambda family, inside, background: family == "cross",
    lambda family, inside, background: family == "rectangle",
)


def demo_cells(n_cells: int = DEFAULT_N_CELLS, seed: int = DEMO_SEED) -> UnitCells:
    """``n_cells`` cells of the ``general`` config spanning its families, as ``cells.UnitCells``.

    They are picked from cells ``0 .. 32·max(n_cells, 8) − 1`` of ``general`` with ``seed``: first one of each
    kind of ``_KINDS`` (gapped, sibcl, rods in air, air holes, ring, several, ellipse, cross, rectangle) while
    ``n_cells`` lasts, then the next unused cells; the same arguments give the same cells.
    """
    from keras_imnn.physics.photonic.cells import FAMILIES, UnitCells, sample_unit_cells

    pool = sample_unit_cells(32 * max(n_cells, DEFAULT_N_CELLS), "general", seed)
    traits = [(FAMILIES[f], inside, background)
              for f, inside, background in zip(pool.family, pool.eps_inclusion, pool.eps_background)]
    picked: list[int] = []
    for kind in _KINDS[:n_cells]:
        found = next((i for i, t in enumerate(traits) if i not in picked and kind(*t)), None)
        if found is not None:
            picked.append(found)
    picked += [i for i in range(len(traits)) if i not in picked][:n_cells - len(picked)]
    return UnitCells(*(field[picked] for field in pool))


def cell_label(family: str, eps_inclusion: float, eps_background: float) -> str:
    """The family, with "rods" or "holes" for drawn shapes (inclusion above or below the background)."""
    return family if family not in _SHAPES else f"{family} {'rods' if eps_inclusion > eps_background else 'holes'}"


def run_demo(n_cells: int = DEFAULT_N_CELLS, model_name: str = "photonic_inv_dilated", seed: int = DEMO_SEED,
             out: str | Path = "imnn_demo.png") -> dict[str, np.ndarray]:
    """Predict the TM gap-to-midgap ratio (bands 1–2) of ``n_cells`` fresh cells of the ``general`` config
    (gapped inclusions, SIB-CL level sets, rods, holes, rings, several inclusions, ...: ``demo_cells``) with the
    pretrained ``model_name``, compute it with the band solver (at the ``general`` datasets' plane-wave cutoff),
    print both per cell with its family, the prediction's calibrated std and whether the cell is in the model's
    validity domain (``keras_imnn.predict``), and draw a PNG.

    Returns ``{"eps": (n, 32, 32), "family": (n,) names of cells.FAMILIES, "solver": (n,), "model": (n,),
    "std": (n,), "in_domain": (n,)}``.
    """
    import keras_imnn
    from keras_imnn.models.registry import get_spec
    from keras_imnn.physics.photonic.cells import FAMILIES
    from keras_imnn.physics.photonic.dataset import DATASET_N_MAX
    from keras_imnn.physics.photonic.solver import band_gaps, band_structure, k_grid
    from keras_imnn.tasks.photonic_gap import gap_to_midgap

    if n_cells < 1:
        raise ValueError(f"n_cells must be >= 1; got {n_cells}")
    task = get_spec(model_name).task
    if task != "photonic":
        raise ValueError(f"{model_name} is a {task} model; the demo predicts photonic band gaps: "
                         f"choose one of {', '.join(keras_imnn.list_models('photonic'))}")
    cells = demo_cells(n_cells, seed)
    eps, families = cells.eps, np.array([FAMILIES[f] for f in cells.family])
    labels = [cell_label(*t) for t in zip(families, cells.eps_inclusion, cells.eps_background)]
    start = time.perf_counter()
    bands = band_structure(eps, k_grid(16), 2, "tm", n_max=DATASET_N_MAX["general"], progress=True)
    gaps, midgaps = band_gaps(bands)
    solver = gap_to_midgap(gaps[:, 0], midgaps[:, 0])
    solved = time.perf_counter() - start
    start = time.perf_counter()
    prediction = keras_imnn.predict(model_name, eps)
    predicted, std = prediction.mean[:, 0], prediction.std[:, 0]
    inferred = time.perf_counter() - start

    print(f"\n{model_name} vs the plane-wave band solver on {n_cells} new cells of {len(set(families))} "
          f"families (TM gap-to-midgap ratio, bands 1-2, k_grid(16)):\n")
    width = max(len("family"), *map(len, labels))
    print(f"{'cell':>4}  {'family':<{width}}  {'eps in':>6}  {'eps bg':>6}  "
          f"{'solver':>7}  {'model':>7}  {'± std':>6}  {'|error|':>7}  in domain")
    for i in range(n_cells):
        print(f"{i:>4}  {labels[i]:<{width}}  {cells.eps_inclusion[i]:6.2f}  {cells.eps_background[i]:6.2f}  "
              f"{solver[i]:7.3f}  {predicted[i]:7.3f}  {std[i]:6.3f}  {abs(predicted[i] - solver[i]):7.3f}  "
              f"{'yes' if prediction.in_domain[i] else 'no: ' + prediction.reasons[i]}")
    print(f"\nmean |error| {np.mean(np.abs(predicted - solver)):.4f}; solver {solved:.2f} s, "
          f"model {inferred:.2f} s")
    _plot(eps, labels, solver, predicted, Path(out))
    print(f"wrote {out}")
    return {"eps": eps, "family": families, "solver": solver, "model": predicted, "std": std,
            "in_domain": prediction.in_domain}


def _plot(eps: np.ndarray, labels: list[str], solver: np.ndarray, predicted: np.ndarray, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(len(eps), 4)
    rows = -(-len(eps) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.6 * rows), squeeze=False)
    for ax, cell, label, s, p in zip(axes.flat, eps, labels, solver, predicted):
        image = ax.imshow(cell.T, origin="lower", cmap="viridis", extent=(0, 1, 0, 1))
        ax.set_title(f"{label}\nsolver {s:.3f} | model {p:.3f}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(image, ax=ax, fraction=0.046, label="ε")
    for ax in list(axes.flat)[len(eps):]:
        ax.axis("off")
    fig.suptitle("TM gap-to-midgap ratio (bands 1–2)")
    fig.tight_layout()
    with atomic_path(out) as tmp:  # a kill leaves the previous picture, never half of one
        fig.savefig(tmp, dpi=100)
    plt.close(fig)


def _demo(args: argparse.Namespace) -> int:
    run_demo(args.n, args.model, args.seed, args.out)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``demo``."""
    p = sub.add_parser("demo", help="pretrained photonic_inv_dilated vs the band solver on new cells of many kinds")
    p.add_argument("--n", type=int_in(1, MAX_N_CELLS), default=DEFAULT_N_CELLS,
                   help=f"number of new cells, one per kind first (default {DEFAULT_N_CELLS}, at most {MAX_N_CELLS}: "
                        "one picture)")
    p.add_argument("--model", default="photonic_inv_dilated", help="a photonic zoo model with weights")
    p.add_argument("--seed", type=seed_int, default=DEMO_SEED)
    p.add_argument("--out", type=png_path, default="imnn_demo.png", help="PNG of the cells with both numbers")
    p.set_defaults(func=_demo)
