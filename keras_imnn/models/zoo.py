"""The named models: one config and one paragraph each."""
from __future__ import annotations

from dataclasses import dataclass

from keras_imnn.models.config import ModelConfig
from keras_imnn.tasks import TASKS


@dataclass(frozen=True)
class ModelSpec:
    """A zoo entry: architecture, task, default dataset and a one-paragraph description."""

    name: str
    task: str  # a name of keras_imnn.tasks.TASKS: "photonic" (gaps) | "photonic_edges" | "magnet" (sign logit)
    dataset: str
    config: ModelConfig
    description: str
    #: Datasets the checkpoint was also trained on (its validity domain covers them too).
    also_trained_on: tuple[str, ...] = ()


_PHOTONIC_DATA, _MAGNET_DATA = TASKS["photonic"].default_dataset, TASKS["magnet"].default_dataset
_EDGES_DATA = TASKS["photonic_edges"].default_dataset
# ε ∈ [1, 20] → about [-1, 1]; spins 0/1 → ±1.
_PHOTONIC = dict(input_shape=(32, 32, 1), input_scale=0.1, input_offset=-1.0)
# A hidden layer after the global mean: without it the output is a sum over pixels of a local
# function, too weak for a gap (n = 400: test MAE 0.063 → 0.034, R² 0.64 → 0.88; README).
_PHOTONIC_INV = dict(head_units=(64,), **_PHOTONIC)
# The 32 band edges (TM, TE; bands 1-8; min, max), ordered by construction (layers.BandEdges).
_EDGES = dict(outputs=32, head="band_edges")
_MAGNET_FIXED = dict(input_shape=(6, 4, 1), input_scale=2.0, input_offset=-1.0)
_MAGNET_ANY = dict(input_shape=(None, None, 1), input_scale=2.0, input_offset=-1.0, group="d4")
# The authors' reference hyper-parameters: 3 periodic convs of 32 channels, kernel 3, ReLU,
# global mean, one dense layer; their multiscale variant dilates them [1, 2, 3].
# [1, 2, 4, 8] (receptive field 31) won the dilation-stack comparison on both tasks, 3 seeds
# (README, "Dilation stacks"): on 32×32 cells at n = 400 by 2.5× in test MAE over every other
# stack; on the square 6×4 torus at J2 = 0.5 sign overlap 0.975 vs 0.938 for [1, 1, 1] and 0.909
# for [1, 2, 3].
_MULTISCALE = (1, 2, 4, 8)

SPECS: tuple[ModelSpec, ...] = (
    ModelSpec(
        "photonic_cnn", "photonic", _PHOTONIC_DATA,
        ModelConfig(arch="cnn", head_units=(64,), **_PHOTONIC),
        "The standard approach: three zero-padded 3×3 convolutions (32, 64, 128 channels) each "
        "followed by 2×2 max pooling, flatten, a hidden dense layer and a linear output. It is "
        "neither shift- nor D4-invariant and must learn the symmetries from data (or augmentation).",
    ),
    ModelSpec(
        "photonic_inv", "photonic", _PHOTONIC_DATA,
        ModelConfig(arch="inv", **_PHOTONIC_INV),
        "Invariant single-scale model: three periodic 3×3 convolutions of 32 channels (no "
        "downsampling), global mean pooling, a hidden dense layer of 64 and a linear output, "
        "averaged over the D4 orbit of the input. Exactly invariant to periodic shifts and the "
        "square lattice's rotations/reflections.",
    ),
    ModelSpec(
        "photonic_inv_dilated", "photonic", _PHOTONIC_DATA,
        ModelConfig(arch="inv", dilations=_MULTISCALE, **_PHOTONIC_INV),
        "Invariant multiscale model: as photonic_inv, but four periodic convolutions dilated "
        "[1, 2, 4, 8], so the stack sees 31×31 pixels (the whole 32×32 cell) at once. Exactly "
        "shift- and D4-invariant.",
        also_trained_on=("photonic_crystals/smooth", "photonic_crystals/varied", "photonic_crystals/pairs"),
    ),
    ModelSpec(
        "photonic_inv_dilated_gapped", "photonic", "photonic_crystals/gapped",
        ModelConfig(arch="inv", dilations=_MULTISCALE, **_PHOTONIC_INV),
        "photonic_inv_dilated trained on photonic_crystals/gapped cells only (C4v high-index inclusions "
        "in a low-index background). More accurate than photonic_inv_dilated on such cells, but it "
        "predicts false gaps on any other cell (no symmetry, several inclusions, rods, holes): use "
        "photonic_inv_dilated for those.",
    ),
    ModelSpec(
        "photonic_edges_cnn", "photonic_edges", _EDGES_DATA,
        ModelConfig(arch="cnn", head_units=(64,), **_EDGES, **_PHOTONIC),
        "Band-edge baseline: photonic_cnn's layers with 32 outputs, the min and max of TM and TE bands "
        "1-8, mapped by a weightless BandEdges layer so that every band's min ≤ max and both rise with "
        "the band: every gap follows. Not invariant.",
    ),
    ModelSpec(
        "photonic_edges_inv_dilated", "photonic_edges", _EDGES_DATA,
        ModelConfig(arch="inv", dilations=_MULTISCALE, **_EDGES, **_PHOTONIC_INV),
        "Invariant multiscale band-edge model: photonic_inv_dilated's trunk (dilations [1, 2, 4, 8], D4 "
        "orbit average) with photonic_edges_cnn's ordered 32 band edges. Exactly shift- and D4-invariant, "
        "as the band edges are.",
        also_trained_on=("photonic_crystals/smooth", "photonic_crystals/varied"),
    ),
    ModelSpec(
        "magnet_dense", "magnet", _MAGNET_DATA,
        ModelConfig(arch="dense", head_units=(64,), group=None, **_MAGNET_FIXED),
        "The Westerhout et al. (2020) baseline: the spin bits flattened into one hidden dense "
        "layer of 64 ReLU units and a sign logit. Tied to one lattice size; no symmetry built in.",
    ),
    ModelSpec(
        "magnet_cnn", "magnet", _MAGNET_DATA,
        ModelConfig(arch="cnn", head_units=(64,), group=None, **_MAGNET_FIXED),
        "A standard CNN on the spin configuration: zero-padded convolutions with pooling, flatten, "
        "a hidden dense layer and a sign logit. Tied to one lattice size; not invariant.",
    ),
    ModelSpec(
        "magnet_inv", "magnet", _MAGNET_DATA,
        ModelConfig(arch="inv", **_MAGNET_ANY),
        "Invariant single-scale sign model: periodic 3×3 convolutions on the torus of spins, global "
        "mean pooling and a sign logit, averaged over D4, on rectangles too (the transposed copies run as "
        "the rotated lattice): a lattice and its 90°-rotated copy get the same answer, state by state. Runs "
        "on any Lx×Ly; trained on square 6×4 at J2 = 0.5, it carries to the rotated 4×6 (sign overlap "
        "0.93) but not zero-shot to 4×4 (−0.01; 0.98 after fine-tuning on 1 000 states; README, 'One "
        "model for a lattice and its rotated copy') nor to 6×6 (0.02; 0.07 even after 15 805 states).",
    ),
    ModelSpec(
        "magnet_inv_dilated", "magnet", _MAGNET_DATA,
        ModelConfig(arch="inv", dilations=_MULTISCALE, **_MAGNET_ANY),
        "Invariant multiscale sign model: as magnet_inv, but four periodic convolutions dilated "
        "[1, 2, 4, 8] (receptive field 31), which beat [1, 1, 1], the authors' [1, 2, 3], "
        "[3, 2, 1] and [2, 2, 2] on square 6×4 at J2 = 0.5 (README, 'Dilation stacks'). "
        "Exactly D4-invariant as magnet_inv: sign overlap 0.998 on square 6×4 and on its rotated 4×6; "
        "another size needs fine-tuning (4×4 zero-shot −0.33, 0.98 after 1 000 states; 6×6 −0.51, 0.89 "
        "after 1 000 states and 0.955 after 15 805, where training from scratch stays at chance).",
    ),
)
