"""Photonic band edges: regress the min and max over the Brillouin zone of TM and TE bands 1–8 of a unit cell.

Layout: ``(32,)`` = [TM b1 min, TM b1 max, TM b2 min, …, TM b8 max,
TE b1 min, …, TE b8 max]; ``reshape(2, 8, 2)`` is (polarization, band, min/max). Every gap and midgap of
consecutive bands follows from them (``named_quantities``); the zoo's band-edge models output them ordered by
construction (``keras_imnn.layers.BandEdges``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from keras_imnn.tasks.base import Task
from keras_imnn.tasks.photonic_gap import gap_to_midgap, has_gap_accuracy

if TYPE_CHECKING:
    import keras

POLARIZATIONS = ("tm", "te")
N_BANDS = 8
N_EDGES = len(POLARIZATIONS) * N_BANDS * 2
# Relative errors leave out edges at 0: band 1 starts at ω = 0 at Γ, which k_grid(16) holds.
ZERO_EDGE = 1e-6
# The accuracy targets are per group of bands: 1–4 (TM ≤ 1 %, TE ≤ 2 % median relative error) and 5–8.
BAND_GROUPS = {"1_4": slice(0, 4), "5_8": slice(4, 8)}


def named_quantities(edges: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Band edges ``(..., 32)`` by name, per polarization "tm" and "te": ``edges`` ``(..., 8, 2)`` (band, min/max),
    and of bands b, b+1 (b = 1..7) ``gaps``, ``midgaps`` and ``gap_to_midgap`` (0 where there is no gap), each
    ``(..., 7)``. Gaps and midgaps are those of ``physics.photonic.dataset.edge_gaps`` (the data's arithmetic)."""
    from keras_imnn.physics.photonic.dataset import edge_gaps

    e = np.asarray(edges, np.float64)
    if e.shape[-1] != N_EDGES:
        raise ValueError(f"band edges must have shape (..., {N_EDGES}); got {e.shape}")
    gaps, midgaps = edge_gaps(e)  # (..., 2, 7)
    ratio = gap_to_midgap(gaps, midgaps)
    per_band = e.reshape(*e.shape[:-1], len(POLARIZATIONS), N_BANDS, 2)
    return {pol: {"edges": per_band[..., p, :, :], "gaps": gaps[..., p, :], "midgaps": midgaps[..., p, :],
                  "gap_to_midgap": ratio[..., p, :]}
            for p, pol in enumerate(POLARIZATIONS)}


def edge_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MAE and RMSE over all edges; median relative error over all edges and per polarization and band group
    (``tm_bands_1_4_median_rel_err``, ...); per polarization the MAE of the gap-to-midgap ratios of bands
    b, b+1 (all 7 pairs, and of bands 1–2 as the photonic gap task scores it) and the accuracy of "has a gap"
    (predicted ratio > 0.01 vs. true gap > 0) over the 7 pairs."""
    t = np.asarray(y_true, np.float64).reshape(-1, N_EDGES)
    p = np.asarray(y_pred, np.float64).reshape(-1, N_EDGES)
    err = p - t
    rel = np.divide(np.abs(err), np.abs(t), out=np.full_like(t, np.nan), where=np.abs(t) > ZERO_EDGE)
    metrics = {"mae": float(np.mean(np.abs(err))), "rmse": float(np.sqrt(np.mean(err**2))),
               "median_rel_err": float(np.nanmedian(rel))}
    rel = rel.reshape(-1, len(POLARIZATIONS), N_BANDS, 2)
    true_q, pred_q = named_quantities(t), named_quantities(p)
    for i, pol in enumerate(POLARIZATIONS):
        for group, bands in BAND_GROUPS.items():
            metrics[f"{pol}_bands_{group}_median_rel_err"] = float(np.nanmedian(rel[:, i, bands]))
        true_ratio, pred_ratio = true_q[pol]["gap_to_midgap"], pred_q[pol]["gap_to_midgap"]
        metrics[f"{pol}_gap_to_midgap_mae"] = float(np.mean(np.abs(pred_ratio - true_ratio)))
        metrics[f"{pol}_gap_to_midgap_1_2_mae"] = float(np.mean(np.abs(pred_ratio[:, 0] - true_ratio[:, 0])))
        metrics[f"{pol}_has_gap_accuracy"] = has_gap_accuracy(pred_ratio, true_q[pol]["gaps"])
    return metrics


@dataclass(frozen=True)
class PhotonicEdges(Task):
    """Relative absolute error on the 32 edges (the edges are judged by relative error); labels: ``band_edges``.
    ``edge_weights`` ``(32,)``: the loss weighs the edges so (None: equally), e.g. to fine-tune for one gap."""

    edge_weights: tuple[float, ...] | None = None

    def loss(self) -> keras.losses.Loss:
        from keras_imnn.layers import RelativeAbsoluteError

        return RelativeAbsoluteError(weights=self.edge_weights)

    def metrics(self) -> list[keras.metrics.Metric]:
        import keras

        return [keras.metrics.MeanAbsoluteError(name="mae")]

    def score(self, y_true: np.ndarray, y_pred: np.ndarray, weight: np.ndarray | None = None) -> dict[str, float]:
        return edge_metrics(y_true, y_pred)

    def point_prediction(self, outputs: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The edges, each clipped to where physics puts it for the cell's ε range: between the free photon's edge
        / √ε_max and / √ε_min (``free_photon_edges``; far outside the domain, e.g. ε = 1e6, the raw outputs run
        into the hundreds). Outputs of another width (a fine-tuned head) are returned as they are."""
        from keras_imnn.physics.photonic.dataset import free_photon_edges

        if outputs.shape[-1] != N_EDGES or not len(x):
            return outputs
        eps = np.asarray(x, np.float64).reshape(len(x), -1)
        vacuum = free_photon_edges()
        return np.clip(outputs, vacuum / np.sqrt(eps.max(axis=1, keepdims=True)),
                       vacuum / np.sqrt(eps.min(axis=1, keepdims=True)))

    def labels(self, examples: Mapping[str, np.ndarray], target: str | None) -> tuple[np.ndarray, np.ndarray | None]:
        self.require(examples, ("band_edges",))
        return np.asarray(examples["band_edges"]), None

    def check_y(self, y: np.ndarray) -> np.ndarray:
        if y.ndim != 2 or y.shape[1] != N_EDGES:
            raise ValueError(f"{self.name} targets are the {N_EDGES} band edges per sample, shape (n, {N_EDGES}) "
                             f"([TM b1 min, TM b1 max, ..., TE b8 max]); got {y.shape}")
        return y


PHOTONIC_EDGES = PhotonicEdges(
    name="photonic_edges",
    description="photonic band edges: regression of the min and max of TM and TE bands 1-8 (32 values), "
                "from which every gap follows",
    dataset_family="photonic_crystals",
    default_dataset="photonic_crystals/general",
    input_feature="eps",
    summary_metrics=("tm_bands_1_4_median_rel_err", "te_bands_1_4_median_rel_err", "tm_gap_to_midgap_mae"),
    objective=("median_rel_err", "min"),
    scarce_n_train=400,
    intended_use="Fast band edges of 2D photonic-crystal unit cells: the min and max over k_grid(16) of TM and TE "
                 "bands 1-8, 32 values in ωa/2πc ordered [TM b1 min, TM b1 max, ..., TE b8 max] (reshape "
                 "(2, 8, 2) = polarization, band, min/max); every gap and midgap follows "
                 "(keras_imnn.tasks.photonic_edges.named_quantities).",
    # The comparison on cells without point symmetry: the CNN, the CNN with D4 + shift augmentation,
    # the invariant single-scale trunk (photonic_inv's: dilations [1, 1, 1]), the multiscale one, and tied kernels.
    # The orbit-averaged variants train with orbit_training="sample": on cells without symmetry the trivial-group
    # twin does not apply, so exact orbit training pays |D4| = 8 passes per step; "sample" pays one, as the CNNs do,
    # and inference is still the exact orbit average (README, "orbit_training"; same test MAE after the same epochs
    # in benchmarks/bench_orbit_training.py). On symmetric cells the twin takes over either way.
    baselines=(("photonic_edges_cnn", "photonic_edges_cnn", False, {}),
               ("photonic_edges_cnn + aug", "photonic_edges_cnn", True, {}),
               ("photonic_edges_inv", "photonic_edges_inv_dilated", False,
                {"dilations": (1, 1, 1), "orbit_training": "sample"}),
               ("photonic_edges_inv_dilated", "photonic_edges_inv_dilated", False, {"orbit_training": "sample"}),
               ("photonic_edges_inv_dilated tied", "photonic_edges_inv_dilated", False, {"invariance": "tied"})),
)
