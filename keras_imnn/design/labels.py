"""The solver's numbers for designed cells: the verified objective, and the labels that fine-tune the surrogate.

numpy only. The ratio model learns the TM 1-2 gap/midgap (TM bands only: a third of the cost); a band-edge model
learns the 32 edges of ``keras_imnn.physics.photonic.dataset.label_cells``, the arithmetic of its training data.
"""
from __future__ import annotations

import numpy as np

from keras_imnn.physics.photonic.dataset import DATASET_N_MAX, SolverSettings, band_edges, label_cells
from keras_imnn.physics.photonic.solver import band_gaps, band_structure, k_grid
from keras_imnn.tasks.photonic_gap import gap_to_midgap

#: k-points of every verified number: the labels' grid.
K_GRID_N = 16
#: Where a surrogate's training data are unknown (a user's Keras model): the zoo's photonic datasets'.
DEFAULT_DATASET = "photonic_crystals/general"


def solver_settings(dataset: str | None = None) -> SolverSettings:
    """The solver's cutoffs for the labels of ``dataset`` (a TFDS name; None: the zoo's general photonic data):
    a surrogate is checked against numbers made as its training labels were (general: n_max 7 for TM and TE)."""
    config = (dataset or DEFAULT_DATASET).split("/")[-1]
    return SolverSettings(n_max=DATASET_N_MAX[config])


def solver_labels(cells: np.ndarray, edges_model: bool,
                  settings: SolverSettings | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(b, 32, 32)`` cells → (fine-tuning targets, band edges ``(b, 2, n_bands, 2)``), at ``settings``' cutoffs
    (default :func:`solver_settings`).

    Targets are ``(b, 1)`` TM 1-2 gap/midgap for the ratio model (then the TE rows of the edges are 0 and the
    edges hold bands 1-2 only), ``(b, 32)`` band edges for a band-edge model.
    """
    cells = np.asarray(cells, np.float64)
    settings = settings or solver_settings()
    if edges_model:
        edges = label_cells(cells, settings)["band_edges"]
        return edges.astype(np.float32), edges.reshape(len(cells), 2, -1, 2)
    bands = band_structure(cells, k_grid(K_GRID_N), 2, "tm", n_max=settings.cutoff("tm"), progress=False)
    gaps, midgaps = band_gaps(bands)  # (b, 1): bands 1-2
    edges = band_edges(bands, np.zeros_like(bands)).reshape(len(cells), 2, -1, 2)
    return gap_to_midgap(gaps[:, 0], midgaps[:, 0])[:, None], edges
