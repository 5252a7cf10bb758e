"""The solver's numbers for designed cells: the verified objective, and the labels that fine-tune the surrogate.

numpy only. The ratio model learns the TM 1-2 gap/midgap (TM bands only: a third of the cost); a band-edge model
learns the 32 edges of ``keras_imnn.physics.photonic.dataset.label_cells``, the arithmetic of its training data.
"""
from __future__ import annotations

import numpy as np

from keras_imnn.physics.photonic.dataset import SolverSettings, band_edges, label_cells
from keras_imnn.physics.photonic.solver import band_gaps, band_structure, k_grid
from keras_imnn.tasks.photonic_gap import gap_to_midgap

#: k-points of every verified number: the labels' grid.
K_GRID_N = 16


def solver_labels(cells: np.ndarray, edges_model: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(b, 32, 32)`` cells → (fine-tuning targets, band edges ``(b, 2, n_bands, 2)``).

    Targets are ``(b, 1)`` TM 1-2 gap/midgap for the ratio model (then the TE rows of the edges are 0 and the
    edges hold bands 1-2 only), ``(b, 32)`` band edges for a band-edge model.
    """
    cells = np.asarray(cells, np.float64)
    if edges_model:
        edges = label_cells(cells, SolverSettings())["band_edges"]
        return edges.astype(np.float32), edges.reshape(len(cells), 2, -1, 2)
    bands = band_structure(cells, k_grid(K_GRID_N), 2, "tm", progress=False)  # (b, n_k, 2)
    gaps, midgaps = band_gaps(bands)  # (b, 1): bands 1-2
    edges = band_edges(bands, np.zeros_like(bands)).reshape(len(cells), 2, -1, 2)
    return gap_to_midgap(gaps[:, 0], midgaps[:, 0])[:, None], edges
