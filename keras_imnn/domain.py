"""Validity domains: which inputs a zoo model can mean at all, and which resemble the data it was trained on.

Two verdicts, kept apart on purpose:

* physically invalid input (ε not finite or ≤ 0, a non-numeric or boolean array, spins other than 0/1) raises a
  one-line ``ValueError``: no number the model returns for it means anything;
* a valid but unusual input (ε outside the training range, more than two materials, a motif that repeats
  inside the cell, a lattice size the model never saw, a non-zero magnetization) is *out of domain*: the
  prediction is still made, ``in_domain`` is False with a reason per cell, and a :class:`DomainWarning` is
  issued once per call.

Numpy only: the solvers, the CLI and the prediction API share these checks without importing Keras.
"""
from __future__ import annotations

import dataclasses
import re
import warnings
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from keras_imnn.physics.photonic.cells import CONFIGS


class DomainWarning(UserWarning):
    """Some inputs lie outside the data a model was trained on: trust their predictions less."""


def _as_real_array(x: Any, what: str, accepted: str) -> np.ndarray:
    """``x`` as a float64 array; a boolean, complex, string or object array is one ValueError."""
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as err:  # ragged nested lists
        raise ValueError(f"{what} must be a numeric array ({accepted}); got {type(x).__name__} ({err})") from err
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"{what} must be a real numeric array ({accepted}); got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def _cells(x: Any, what: str, accepted: str, shape: tuple[int | None, int | None]) -> np.ndarray:
    """``(b, H, W)`` float64 from ``(b, H, W)`` or ``(b, H, W, 1)``; any other rank or size is a ValueError."""
    arr = _as_real_array(x, what, accepted)
    if arr.ndim == 4 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    expected = "(batch, {}, {}) or (batch, {}, {}, 1)".format(*(("H" if s is None else s) for s in shape * 2))
    if arr.ndim != 3:
        raise ValueError(f"{what} must have shape {expected}; got shape {arr.shape}")
    if any(s is not None and s != n for s, n in zip(shape, arr.shape[1:])):
        raise ValueError(f"{what} must have shape {expected}; got shape {arr.shape}")
    return arr


def _repeat_period(cells: np.ndarray) -> np.ndarray:
    """Per cell, True where the pattern repeats inside the cell (a period shorter than the cell).

    On an n×n grid (n a power of two) any nontrivial period has a multiple of order two, so comparing the
    cell with its half-shifts along rows, columns and the diagonal finds every repeat.
    """
    repeats = np.zeros(len(cells), bool)
    h, w = cells.shape[1:]
    for shift, axes in (((h // 2,), (1,)), ((w // 2,), (2,)), ((h // 2, w // 2), (1, 2))):
        if all(s > 0 for s in shift) and h % 2 == 0 and w % 2 == 0:
            rolled = np.roll(cells, shift, axes)
            repeats |= np.all(np.isclose(cells, rolled, rtol=1e-6, atol=0.0), axis=(1, 2))
    return repeats


class Domain(Protocol):
    """What every model's domain offers: a check of a batch and a sentence for descriptions and cards."""

    def check(self, x: Any) -> tuple[np.ndarray, list[str]]: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class PhotonicDomain:
    """Unit cells of permittivity like those a photonic model was trained on.

    Attributes:
        eps_range: the ε range of the training cells (both materials).
        two_tone: the training cells hold exactly two materials.
        shape: the cell size in pixels; the zoo's photonic models are fixed at 32×32.
        one_motif: the training cells hardly ever repeat a motif inside the cell (a shorter period folds the bands;
            0.2 % of the general generator's cells do, 0.6 % of the gapped one's), so such a cell is flagged.
    """

    eps_range: tuple[float, float] = (1.0, 20.0)
    two_tone: bool = True
    shape: tuple[int, int] = (32, 32)
    one_motif: bool = True

    accepted = "real, finite relative permittivity ε > 0"

    def validate(self, x: Any) -> np.ndarray:
        """``(b, H, W)`` float64 cells; a ValueError for a wrong shape or dtype, non-finite or non-positive ε."""
        cells = _cells(x, "unit cells", self.accepted, self.shape)
        bad = ~np.isfinite(cells)
        if bad.any():
            n = int(bad.any(axis=(1, 2)).sum())
            raise ValueError(f"{n} of {len(cells)} unit cells hold NaN or infinite ε; accepted: {self.accepted}")
        low = cells <= 0
        if low.any():
            n = int(low.any(axis=(1, 2)).sum())
            raise ValueError(f"{n} of {len(cells)} unit cells hold ε ≤ 0 (min {cells.min():g}): no dielectric "
                             f"has that; accepted: {self.accepted}")
        return cells

    def check(self, x: Any) -> tuple[np.ndarray, list[str]]:
        """(in_domain ``(b,)`` bool, one reason string per cell, "" when in domain); invalid input raises."""
        cells = self.validate(x)
        lo, hi = self.eps_range
        flat = cells.reshape(len(cells), cells.shape[1] * cells.shape[2])
        reasons: list[list[str]] = [[] for _ in range(len(cells))]
        e_min, e_max = flat.min(axis=1) if flat.size else [], flat.max(axis=1) if flat.size else []
        for i in np.flatnonzero((np.asarray(e_min) < lo * (1 - 1e-6)) | (np.asarray(e_max) > hi * (1 + 1e-6))):
            reasons[i].append(f"ε in [{e_min[i]:g}, {e_max[i]:g}] outside the training range [{lo:g}, {hi:g}]")
        if self.two_tone and flat.size:
            ordered = np.sort(flat, axis=1)
            tones = 1 + np.sum(~np.isclose(ordered[:, 1:], ordered[:, :-1], rtol=1e-6, atol=0.0), axis=1)
            for i in np.flatnonzero(tones > 2):
                reasons[i].append(f"{tones[i]} distinct ε values (training cells hold two materials)")
            for i in np.flatnonzero(tones == 1):
                reasons[i].append("a uniform cell (one material; training cells hold two)")
        for i in np.flatnonzero(_repeat_period(cells) if self.one_motif else []):
            reasons[i].append("the motif repeats inside the cell (bands fold; under 1 % of the training cells do)")
        text = ["; ".join(r) for r in reasons]
        return np.array([not t for t in text], bool), text

    def describe(self) -> str:
        lo, hi = self.eps_range
        tones = "two materials" if self.two_tone else "any number of materials"
        motifs = ("one motif per cell (rarely a shorter period)" if self.one_motif
                  else "motifs tiled inside the cell too")
        return (f"{self.shape[0]}×{self.shape[1]} cells of finite ε > 0 (else ValueError); in domain: ε in "
                f"[{lo:g}, {hi:g}] (contrast ≤ {hi / lo:g}), {tones}, {motifs}")

    def union(self, other: PhotonicDomain) -> PhotonicDomain:
        """The domain of a model trained on both datasets: what either one holds."""
        return PhotonicDomain((min(self.eps_range[0], other.eps_range[0]), max(self.eps_range[1], other.eps_range[1])),
                              self.two_tone and other.two_tone, self.shape, self.one_motif and other.one_motif)


@dataclass(frozen=True)
class MagnetDomain:
    """Spin configurations like those a sign model was trained on.

    Attributes:
        lattice: the lattice of the training data ("square", "triangular"), for the description only: the
            spins alone do not tell it.
        shape: the training torus (Lx, Ly); a D4 model answers a 90°-rotated lattice consistently too.
        j2: the training J2 / J1.
        fixed_size: the model only takes ``shape`` (else any size runs, out of domain).
        rotations: a 90°-rotated lattice is in domain (models averaged over D4 or C4).
    """

    lattice: str
    shape: tuple[int, int]
    j2: float
    fixed_size: bool = False
    rotations: bool = True

    accepted = "spin bits 0 or 1 (1 = up), as integers, floats or booleans"

    def validate(self, x: Any) -> np.ndarray:
        """``(b, Lx, Ly)`` float64 spins; a ValueError for a wrong shape or values other than 0 and 1."""
        arr = np.asarray(x)
        spins = _cells(arr.astype(np.int8) if arr.dtype == bool else arr, "spin configurations", self.accepted,
                       self.shape if self.fixed_size else (None, None))
        bad = ~np.isin(spins, (0.0, 1.0))
        if bad.any():
            values = np.unique(spins[bad])[:4]
            hint = " (±1 spins: pass (s + 1) / 2)" if np.isin(values, (-1.0,)).any() else ""
            raise ValueError(f"spin configurations must be 0 or 1; got values {', '.join(f'{v:g}' for v in values)}"
                             f" in {int(bad.any(axis=(1, 2)).sum())} of {len(spins)}{hint}")
        return spins

    def check(self, x: Any) -> tuple[np.ndarray, list[str]]:
        """(in_domain ``(b,)`` bool, one reason string per configuration); invalid input raises."""
        spins = self.validate(x)
        size = tuple(spins.shape[1:])
        allowed = {self.shape, self.shape[::-1]} if self.rotations else {self.shape}
        lattice = "" if size in allowed else (f"lattice {size[0]}×{size[1]}, trained on {self.shape[0]}×"
                                               f"{self.shape[1]} (zero-shot: another size)")
        n_sites = size[0] * size[1]
        up = spins.sum(axis=(1, 2))
        reasons = []
        for n_up in up:
            r = [lattice] if lattice else []
            if 2 * n_up != n_sites:
                r.append(f"{int(n_up)} of {n_sites} spins up (the ground states were computed at Sz = 0: half up)")
            reasons.append("; ".join(r))
        return np.array([not r for r in reasons], bool), reasons

    def describe(self) -> str:
        size = f"{self.shape[0]}×{self.shape[1]}"
        other = "only that size" if self.fixed_size else "other sizes run, out of domain"
        return (f"spins 0/1 (else ValueError) on the {self.lattice} {size} torus at J2 = {self.j2:g} ({other}); "
                f"in domain: Sz = 0 (half the spins up)")


#: ε range and tones of each photonic dataset config: every family of ``cells.MIXES`` draws two materials
#: with ε in [1, 20]; only ``varied`` tiles motifs on purpose (a quarter of its cells; the others' generators
#: draw a shorter period by chance, in under 1 % of their cells).
_PHOTONIC_DOMAINS = {config: PhotonicDomain(one_motif=config != "varied") for config in CONFIGS}
_MAGNET_CONFIG = re.compile(r"(?P<lattice>[a-z]+)_(?P<lx>\d+)x(?P<ly>\d+)_j2_(?P<j2>[0-9.]+)")


def dataset_domain(dataset: str, *, input_shape: tuple[int | None, ...] | None = None,
                   group: str | None = None) -> Domain:
    """The domain of data from ``dataset`` (a TFDS name, e.g. "photonic_crystals/general").

    Args:
        input_shape: the model's input shape ``(H, W, C)``: fixed spatial sizes make a fixed-size magnet domain,
            and the cell size of a photonic one.
        group: the model's point group; only D4 / C4 models answer a 90°-rotated lattice the same way.
    """
    family, _, config = dataset.partition("/")
    if family == "photonic_crystals" and config in _PHOTONIC_DOMAINS:
        cells = tuple(input_shape)[:2] if input_shape is not None else ()
        if len(cells) == 2 and None not in cells:  # a model built at another cell size takes that size
            return dataclasses.replace(_PHOTONIC_DOMAINS[config], shape=(int(cells[0]), int(cells[1])))
        return _PHOTONIC_DOMAINS[config]
    match = _MAGNET_CONFIG.match(config) if family == "frustrated_magnets" else None
    if match:
        shape = (int(match["lx"]), int(match["ly"]))
        # A fixed-size model of another size than its data's (magnet_dense rebuilt at 4x4): the model checks it.
        fixed = input_shape is not None and tuple(input_shape)[:2] == shape
        return MagnetDomain(match["lattice"], shape, float(match["j2"].rstrip(".")), fixed_size=fixed,
                            rotations=group in ("d4", "c4"))
    raise ValueError(f"no validity domain is known for dataset {dataset!r}: accepted photonic_crystals/"
                     f"{{{','.join(_PHOTONIC_DOMAINS)}}} and frustrated_magnets/<lattice>_<Lx>x<Ly>_j2_<J2>…")


def warn_out_of_domain(in_domain: np.ndarray, reasons: list[str], model: str, stacklevel: int = 3) -> None:
    """One :class:`DomainWarning` for a batch: how many inputs are out of domain, and one reason."""
    out = np.flatnonzero(~np.asarray(in_domain, bool))
    if len(out) == 0:
        return
    distinct = sorted({reasons[i] for i in out}, key=lambda r: -sum(reasons[i] == r for i in out))
    more = f" (and {len(distinct) - 1} other reason(s): see Prediction.reasons)" if len(distinct) > 1 else ""
    warnings.warn(f"{len(out)} of {len(in_domain)} inputs lie outside {model}'s validity domain, e.g. input "
                  f"{out[0]}: {reasons[out[0]]}{more}. Trust their predictions less.", DomainWarning,
                  stacklevel=stacklevel)
