"""Picture of a photonic-crystal dataset: cells, band diagrams along Γ–X–M–Γ, label histogram."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from keras_imnn.atomic import atomic_path
from keras_imnn.physics.photonic.dataset import SolverSettings
from keras_imnn.physics.photonic.solver import band_structure, gamma_x_m_path

_POINTS_BETWEEN = 8  # k-points between the path's corners


def pick_cells(ratio: np.ndarray, n_cells: int) -> np.ndarray:
    """Indices of ``n_cells`` cells spread over the ranking of ``ratio``, largest first."""
    order = np.argsort(-ratio, kind="stable")
    return order[np.round(np.linspace(0, len(order) - 1, n_cells)).astype(int)]


def plot_cells_and_gaps(data: dict[str, np.ndarray], n_cells: int = 3,
                        out: str | Path = "photonic_cells.png",
                        settings: SolverSettings | None = None) -> Path:
    """Draw ``n_cells`` cells of ``data`` (arrays of ``dataset.generate``) and the gap histogram.

    Top row: ε of each cell; bottom row: its TM (solid) and TE (dashed) bands along Γ–X–M–Γ with
    the dataset's TM gap between bands 1 and 2 (over k_grid(16)) shaded; right: histogram of the
    TM gap-to-midgap ratio of all cells in ``data``. ``settings``: the solver's for the diagrams
    (default: its default cutoffs). Returns the PNG path.
    """
    settings = settings or SolverSettings()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ratio = np.asarray(data["tm_gap"], np.float64) / np.asarray(data["tm_midgap"], np.float64)
    chosen = pick_cells(ratio, min(n_cells, len(ratio)))
    eps = np.asarray(data["eps"], np.float64).reshape(len(ratio), 32, 32)[chosen]
    path_k = gamma_x_m_path(_POINTS_BETWEEN)
    bands = {pol: band_structure(eps, path_k, settings.n_bands, pol, n_max=settings.cutoff(pol))
             for pol in ("tm", "te")}
    corners = np.arange(4) * (_POINTS_BETWEEN + 1)

    fig = plt.figure(figsize=(3.2 * len(chosen) + 4.2, 6.4), layout="constrained")
    grid = fig.add_gridspec(2, len(chosen) + 1, height_ratios=(1, 1.25))
    for col, index in enumerate(chosen):
        ax = fig.add_subplot(grid[0, col])
        # Pixel (i, j) sits at x = (i+½)/32, y = (j+½)/32: transpose for imshow's (row=y, col=x).
        image = ax.imshow(eps[col].T, origin="lower", extent=(0, 1, 0, 1), cmap="viridis")
        fig.colorbar(image, ax=ax, shrink=0.8, label="ε")
        ax.set_title(f"cell {int(data['index'][index]) if 'index' in data else index}: "
                     f"TM gap/mid = {ratio[index]:.3f}", fontsize=9)
        ax.set_xticks([0, 1])
        ax.set_yticks([0, 1])
        ax = fig.add_subplot(grid[1, col])
        ax.plot(bands["tm"][col], color="tab:blue", lw=1)
        ax.plot(bands["te"][col], color="tab:red", lw=1, ls="--")
        gap, mid = float(data["tm_gap"][index]), float(data["tm_midgap"][index])
        if gap > 0:
            ax.axhspan(mid - gap / 2, mid + gap / 2, color="tab:blue", alpha=0.15, lw=0)
        ax.set_xticks(corners, ["Γ", "X", "M", "Γ"])
        ax.set_xlim(0, corners[-1])
        ax.set_ylim(0, None)
        ax.grid(axis="x", color="0.8")
        ax.set_ylabel("ωa/2πc" if col == 0 else None)
        ax.legend(handles=[ax.lines[0], ax.lines[settings.n_bands]], labels=["TM", "TE"],
                  fontsize=8, loc="lower right")
    ax = fig.add_subplot(grid[:, -1])
    gapped = ratio > 0
    ax.hist(ratio[gapped], bins=30, color="tab:blue", label=f"gapped: {gapped.mean():.1%}")
    ax.bar([0.0], [np.sum(~gapped)], width=0.01, color="0.5",
           label=f"no gap: {(~gapped).mean():.1%}")
    ax.set_xlabel("TM gap / midgap, bands 1–2")
    ax.set_ylabel("cells")
    ax.set_title(f"labels of {len(ratio)} cells", fontsize=10)
    ax.legend(fontsize=8)
    out = Path(out)
    with atomic_path(out) as tmp:  # a kill leaves the previous picture, never half of one
        fig.savefig(tmp, dpi=80)
    plt.close(fig)
    return out
