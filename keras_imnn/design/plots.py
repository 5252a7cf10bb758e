"""Pictures of a design: the cell, its solver band diagram beside the surrogate's band edges, the history."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from keras_imnn.atomic import atomic_path
from keras_imnn.design.result import DesignHistory, DesignResult

_POINTS_BETWEEN = 8  # k-points between the corners of Γ–X–M–Γ
_COLORS = {"tm": "tab:blue", "te": "tab:red"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, out: str | Path) -> Path:
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    _pyplot().close(fig)
    return Path(out)


def plot_cell(result: DesignResult, out: str | Path) -> Path:
    """The binary cell (x right, y up), titled with the verified and predicted gap/midgap."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.2, 3.6), layout="constrained")
    image = ax.imshow(result.eps.T, origin="lower", extent=(0, 1, 0, 1), cmap="viridis")
    fig.colorbar(image, ax=ax, label="ε")
    ax.set_title(f"{result.objective.describe()}\nsolver {result.verified:.3f}, surrogate {result.predicted:.3f}",
                 fontsize=9)
    return _save(fig, out)


def plot_bands(result: DesignResult, predicted_edges: np.ndarray, out: str | Path) -> Path:
    """Solver bands along Γ–X–M–Γ (TM solid, TE dashed) and, beside them, each band's range over k_grid(16):
    the solver's (bars) and the surrogate's predicted edges (ticks). ``predicted_edges`` ``(32,)``."""
    from keras_imnn.design.labels import solver_labels
    from keras_imnn.physics.photonic.solver import band_structure, gamma_x_m_path

    plt = _pyplot()
    cell = result.eps[None]
    path = gamma_x_m_path(_POINTS_BETWEEN)
    true_edges = solver_labels(cell, edges_model=True, settings=result.solver)[1][0]  # (2, 8, 2)
    pred = np.asarray(predicted_edges, np.float64).reshape(2, -1, 2)
    fig, (ax, side) = plt.subplots(1, 2, figsize=(8, 4.2), width_ratios=(3, 1), sharey=True, layout="constrained")
    corners = np.arange(4) * (_POINTS_BETWEEN + 1)
    for p, pol in enumerate(("tm", "te")):
        bands = band_structure(cell, path, pred.shape[1], pol, n_max=result.solver.cutoff(pol), progress=False)[0]
        ax.plot(bands, color=_COLORS[pol], lw=1, ls="-" if pol == "tm" else "--", label=[pol.upper()] + [None] * 7)
        for b in range(pred.shape[1]):
            x = b + (0.15 if pol == "te" else -0.15)
            side.plot([x, x], true_edges[p, b], color=_COLORS[pol], lw=4, alpha=0.4)
            side.scatter([x, x], pred[p, b], marker="_", s=120, color="k", zorder=3)
    ratio, mid = result.verified, result.verified_midgap
    if ratio > 0:
        ax.axhspan(mid * (1 - ratio / 2), mid * (1 + ratio / 2), color="0.85", lw=0, zorder=0)
    ax.set_xticks(corners, ["Γ", "X", "M", "Γ"])
    ax.set_xlim(0, corners[-1])
    ax.set_ylim(0, None)
    ax.set_ylabel("ωa/2πc")
    ax.set_title(f"solver bands; shaded: {result.objective.describe()} = {ratio:.3f}", fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    side.set_xticks(range(pred.shape[1]), [str(b + 1) for b in range(pred.shape[1])])
    side.set_xlabel("band")
    side.set_title("range over k_grid(16):\nsolver (bars), surrogate (ticks)", fontsize=8)
    return _save(fig, out)


def plot_history(history: DesignHistory, out: str | Path) -> Path:
    """Left: each start's surrogate score per gradient step (β stages marked); right: per round the best
    design's predicted and verified value against wall time."""
    plt = _pyplot()
    fig, (ax, right) = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
    ax.plot(history.step, history.surrogate, lw=1)
    for s in np.flatnonzero(np.diff(history.beta) != 0) + 1:
        ax.axvline(history.step[s], color="0.85", lw=0.8, zorder=0)
    for s in np.flatnonzero(np.diff(history.round) != 0) + 1:
        ax.axvline(history.step[s], color="0.4", lw=1, ls=":")
    ax.set_xlabel("gradient step (grey: β doubles; dotted: fine-tuned)")
    ax.set_ylabel("surrogate score per start")
    right.plot(history.seconds, history.predicted, "o-", label="surrogate (before fine-tuning)")
    right.plot(history.seconds, history.verified, "s-", label="solver")
    right.plot(history.seconds, history.best_verified, "k--", lw=1, label="best verified so far")
    right.set_xlabel("wall time (s)")
    right.set_ylabel("gap/midgap of the round's best")
    right.legend(fontsize=8)
    return _save(fig, out)
