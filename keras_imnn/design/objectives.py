"""What a design maximizes: the gap-to-midgap ratio of bands b, b+1 (TM, TE or both at once), optionally
centred at a target frequency; computed alike from a surrogate's outputs and from the solver's bands.

Band edges are ``(S, 2, n_bands, 2)`` = (cell, TM/TE, band, min/max over k_grid(16)), the layout of
``keras_imnn.tasks.photonic_edges`` reshaped. The arithmetic is ``keras.ops``, so the same function gives a
differentiable surrogate objective and the solver's verified number.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: "both": a complete gap, the overlap of the TM and the TE gap of the same bands.
POLARIZATIONS = ("tm", "te", "both")
#: Bands the zoo's band-edge models predict per polarization.
MAX_BAND = 8
#: The zoo model of the TM 1-2 ratio (its only output) and the band-edge model for every other objective.
RATIO_MODEL, EDGES_MODEL = "photonic_inv_dilated", "photonic_edges_inv_dilated"


@dataclass(frozen=True)
class GapObjective:
    """Maximize gap/midgap of ``bands`` = (b, b+1) in ``polarization``; with ``target_frequency`` f0 the score is
    ratio − |midgap/f0 − 1| (a gap centred at f0 ωa/2πc)."""

    polarization: str = "tm"
    bands: tuple[int, int] = (1, 2)
    target_frequency: float | None = None

    def __post_init__(self) -> None:
        if self.polarization not in POLARIZATIONS:
            raise ValueError(f"polarization must be one of {', '.join(POLARIZATIONS)} (both = a complete gap); "
                             f"got {self.polarization!r}")
        bands = tuple(self.bands)
        if (len(bands) != 2 or not all(isinstance(b, (int, np.integer)) for b in bands)
                or bands[1] != bands[0] + 1 or not 1 <= bands[0] < MAX_BAND):
            raise ValueError(f"bands must be two consecutive integers b, b+1 with 1 <= b <= {MAX_BAND - 1} "
                             f"(the bands the models predict); got {self.bands!r}")
        object.__setattr__(self, "bands", (int(bands[0]), int(bands[1])))
        f0 = self.target_frequency
        if f0 is not None and not (isinstance(f0, (int, float)) and np.isfinite(f0) and f0 > 0):
            raise ValueError(f"target_frequency must be a positive number (ωa/2πc) or None; got {f0!r}")

    @property
    def polarizations(self) -> tuple[str, ...]:
        """The polarizations whose bands the objective needs."""
        return ("tm", "te") if self.polarization == "both" else (self.polarization,)

    @property
    def ratio_only(self) -> bool:
        """True where the TM 1-2 ratio model suffices (no band edges needed)."""
        return self.polarization == "tm" and self.bands == (1, 2) and self.target_frequency is None

    def default_model(self) -> str:
        return RATIO_MODEL if self.ratio_only else EDGES_MODEL

    def describe(self) -> str:
        what = {"tm": "TM", "te": "TE", "both": "complete (TM and TE)"}[self.polarization]
        target = "" if self.target_frequency is None else f", centred at ωa/2πc = {self.target_frequency:g}"
        return f"{what} gap/midgap of bands {self.bands[0]}-{self.bands[1]}{target}"

    def edge_weights(self) -> tuple[float, ...]:
        """Weights of the 32 band edges (``tasks.photonic_edges`` layout) that give the edges the objective reads
        (top of band b, bottom of band b+1, in each polarization it needs) half the weight of a loss."""
        weights = np.ones((2, MAX_BAND, 2))
        b = self.bands[0] - 1
        for pol in self.polarizations:
            row = ("tm", "te").index(pol)
            weights[row, b, 1] = weights[row, b + 1, 0] = 0.0
        focus = weights == 0
        weights[focus] = weights.sum() / focus.sum()
        return tuple(weights.ravel().tolist())

    def ratio_and_midgap(self, edges: Any) -> tuple[Any, Any]:
        """Signed gap/midgap (negative where the bands overlap: a slope to climb) and midgap, each ``(S,)``,
        from band edges ``(S, 2, n_bands, 2)`` (any array ``keras.ops`` takes)."""
        from keras import ops

        b = self.bands[0] - 1
        rows = [("tm", "te").index(p) for p in self.polarizations]
        top = ops.max(ops.stack([edges[:, r, b, 1] for r in rows]), axis=0)
        bottom = ops.min(ops.stack([edges[:, r, b + 1, 0] for r in rows]), axis=0)
        midgap = 0.5 * (top + bottom)
        return (bottom - top) / midgap, midgap

    def score(self, ratio: Any, midgap: Any) -> Any:
        """What is maximized, ``(S,)``: the ratio, less the relative miss of the target frequency if any."""
        from keras import ops

        if self.target_frequency is None:
            return ratio
        return ratio - ops.abs(midgap / self.target_frequency - 1.0)

    def from_model_output(self, output: Any) -> tuple[Any, Any]:
        """(signed ratio, midgap or None) from a model's output ``(S, 1)`` (ratio model) or ``(S, 32)`` (edges)."""
        from keras import ops

        if output.shape[-1] == 1:
            if not self.ratio_only:
                raise ValueError(f"the {self.describe()} needs a band-edge model such as {EDGES_MODEL}; the "
                                 f"given model predicts only the TM 1-2 gap/midgap")
            return output[:, 0], None
        return self.ratio_and_midgap(ops.reshape(output, (-1, 2, MAX_BAND, 2)))
