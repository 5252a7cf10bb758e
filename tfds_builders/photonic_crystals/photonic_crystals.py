"""TFDS builder ``photonic_crystals``: 2D photonic-crystal unit cells and their band gaps.

Each example is one square-lattice unit cell (lattice constant 1) as a ``(32, 32, 1)`` map of
relative permittivity ε, pixel (i, j) centred at ((i+½)/32, (j+½)/32), with its TM and TE band
structures computed by keras_imnn's plane-wave solver (``keras_imnn.physics.photonic``). All
frequencies are ωa/2πc; k-points in reciprocal-lattice units; TM = E out of the plane (MPB's TM).

Features (``n_k`` = 256 points of ``k_grid(16)``, k = i/16 − 1/2 per direction, kx-major):

* ``eps`` (32, 32, 1) float32: relative permittivity of the cell.
* ``tm_bands``, ``te_bands`` (n_k, 10) float32: the 10 lowest frequencies at each k-point.
* ``tm_gaps``, ``te_gaps`` (9,) float32: gap between bands b and b+1 over the grid,
  max(0, min_k ω_{b+1} − max_k ω_b), for b = 1..9; ``tm_midgaps``, ``te_midgaps`` (9,) float32:
  (min_k ω_{b+1} + max_k ω_b) / 2 (defined also where the gap is 0).
* ``tm_gap``, ``tm_midgap``, ``te_gap``, ``te_midgap`` float32: the same for bands 1 and 2.
* ``tm_gap_ratio`` float32: ``tm_gap / tm_midgap`` (0 without a gap), the zoo's photonic target.
* ``band_edges`` (32,) float32: min and max over the grid of TM and TE bands 1–8, [TM b1 min,
  TM b1 max, …, TM b8 max, TE b1 min, …, TE b8 max] (``reshape(2, 8, 2)``: polarization, band,
  min/max); the gaps of bands 1–8 follow (``keras_imnn.physics.photonic.dataset.edge_gaps``).
* ``eps_background``, ``eps_inclusion`` float32: the two permittivities of the cell (the
  inclusion is the level-set region); ``filling`` float32: fraction of pixels holding
  ``eps_inclusion``.
* ``family`` ClassLabel: the cell's family (``keras_imnn.physics.photonic.cells.FAMILIES``:
  sibcl, gapped, circle, ellipse, rectangle, cross, ring, several, smooth, textbook, veins, sizes,
  tiled, pairs).
* ``seed``, ``index`` int64: ``keras_imnn.physics.photonic.cells.sample_unit_cells(1, config,
  seed, start=index)`` regenerates the cell.

k_grid(16) maps onto itself under D4 and lattice translations, so every label is invariant (to
round-off) under the cell's D4 transforms and periodic shifts. ``supervised_keys`` is
``("eps", "tm_gap_ratio")``: ``tfds.load(..., as_supervised=True)`` gives (input, target) pairs
that the zoo's ``photonic_*`` models take as they are (fit, evaluate, predict), where the raw
``tm_gap`` is not what they predict.

Configs: ``gapped`` (C4v high-index inclusions in a low-index background, TM gaps common),
``sibcl`` (the SIB-CL distribution of Loh et al. 2022), ``general`` (both of these and drawn
shapes, rods or holes, anywhere in the cell: ``keras_imnn.physics.photonic.cells.MIXES``), and
``gapped_tiny`` / ``sibcl_tiny`` / ``general_tiny`` (24 cells with a coarser solver, for tests).
Splits hold consecutive cell indices: ``test`` first (fixed: it does not depend on the train
size), then ``validation``, then ``train``; so
``keras-imnn generate photonic --config C --n N`` writes exactly cells 0..N−1 of config C.

Generation runs chunks of cells on one thread per core with a progress bar (no worker processes:
a script calling ``tfds.load`` needs no ``__main__`` guard); finished chunks are cached under
``<data_dir>/downloads/photonic_crystals_cache`` so an interrupted build restarts where it stopped
(the cache of a split is removed once that split is written). With
``tfds build --beam_pipeline_options=...`` (or a ``beam_runner`` in the DownloadConfig) the same
chunks become a Beam ``FlatMap`` instead, for clusters.
"""
from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from keras_imnn.physics.photonic.cells import FAMILIES, N_PIXELS
from keras_imnn.physics.photonic.dataset import (
    DATASET_N_MAX,
    EDGE_BANDS,
    SolverSettings,
    chunk_ranges,
    generate_chunks,
    make_examples,
)
from keras_imnn.tasks.photonic_gap import gap_to_midgap

_SCALARS = ("tm_gap", "tm_midgap", "te_gap", "te_midgap", "tm_gap_ratio", "eps_background",
            "eps_inclusion", "filling")


@dataclasses.dataclass
class PhotonicCrystalsConfig(tfds.core.BuilderConfig):
    """cells: unit-cell distribution (``keras_imnn.physics.photonic.cells.CONFIGS``); split sizes;
    seed of the cells; n_max: plane-wave cutoff of the solver for TM and TE (None: its defaults,
    TM 5 and TE 6; see ``DATASET_N_MAX``); chunk_size: cells per task."""

    cells: str = "gapped"
    n_train: int = 16_000
    n_validation: int = 2_000
    n_test: int = 2_000
    seed: int = 0
    n_max: int | None = None
    chunk_size: int = 25

    @property
    def settings(self) -> SolverSettings:
        return SolverSettings(n_max=self.n_max)

    def split_names(self) -> tuple[str, ...]:
        """The splits a build writes (known before building, so a wrong name is refused first)."""
        return tuple(self.split_ranges())

    def split_ranges(self) -> dict[str, tuple[int, int]]:
        """Split name → (first cell index, number of cells): test, validation, train in order."""
        sizes = {"test": self.n_test, "validation": self.n_validation, "train": self.n_train}
        starts = np.cumsum([0] + list(sizes.values()))
        return {name: (int(start), size) for (name, size), start in zip(sizes.items(), starts)}


def _example(chunk: dict[str, np.ndarray], i: int) -> dict[str, np.ndarray]:
    """Row ``i`` of a chunk from ``make_examples`` as a TFDS feature dict."""
    example = {key: value[i] for key, value in chunk.items()}
    example["eps"] = example["eps"][..., None]
    example["tm_gap_ratio"] = gap_to_midgap(example["tm_gap"], example["tm_midgap"])  # the zoo's target
    return example


def _chunk_examples(chunk: tuple[int, int], config: str, seed: int,
                    settings: SolverSettings) -> list[tuple[int, dict[str, np.ndarray]]]:
    """Keyed examples of one chunk (the Beam FlatMap)."""
    start, n = chunk
    examples = make_examples(config, seed, start, n, settings)
    return [(start + i, _example(examples, i)) for i in range(n)]


class PhotonicCrystals(tfds.core.GeneratorBasedBuilder):
    """Square-lattice photonic-crystal unit cells with TM/TE band structures and gaps."""

    VERSION = tfds.core.Version("1.5.0")
    RELEASE_NOTES: ClassVar[dict[str, str]] = {
        "1.0.0": "Initial release: gapped and sibcl configs, 10 TM and TE bands on k_grid(16) "
                 "from the PWE solver (cutoffs TM/TE: gapped 5/6, sibcl 5/5).",
        "1.1.0": "tm_gap_ratio feature (the zoo's target) and supervised_keys (eps, tm_gap_ratio); "
                 "the other features are unchanged.",
        "1.2.0": "general config (drawn shapes, rods or holes, besides the sibcl and gapped cells; "
                 "cutoffs TM/TE 7/7) and its tiny test config; band_edges (min/max of TM and TE "
                 "bands 1-8) and family features in every config; the other features are unchanged.",
        "1.3.0": "smooth config (asymmetric smooth blobs at high contrast, rods or holes: the cells the "
                 "general-trained models gave false gaps on); family names gain 'smooth'; the other "
                 "configs' cells and features are unchanged.",
        "1.4.0": "varied config (textbook rods and holes over their full size range, thin veins and frames, "
                 "inclusions of several sizes, motifs tiled 2x2 or 4x4); family names gain 'textbook', 'veins', "
                 "'sizes' and 'tiled'; the other configs' cells and features are unchanged.",
        "1.5.0": "pairs config (two inclusions of clearly different sizes: diatomic bases, rods or holes); "
                 "family names gain 'pairs'; the other configs' cells and features are unchanged.",
    }
    BUILDER_CONFIGS: ClassVar[list[PhotonicCrystalsConfig]] = [
        PhotonicCrystalsConfig(
            name="gapped", cells="gapped",
            description="20 000 C4v cells: high-index inclusions (ε ~ U(6, 20)) in a low-index "
                        "background (ε ~ U(1, 2)); most have a TM gap between bands 1 and 2."),
        PhotonicCrystalsConfig(
            name="sibcl", cells="sibcl", n_max=DATASET_N_MAX["sibcl"],
            description="20 000 cells of the SIB-CL distribution (Loh et al. 2022): level sets of "
                        "Fourier sums over {-1,0,1}², both ε ~ U(1, 20), filling ~ U(0.01, 0.99)."),
        PhotonicCrystalsConfig(
            name="general", cells="general", n_max=DATASET_N_MAX["general"],
            description="20 000 cells of any shape a user draws: sibcl level sets and gapped C4v "
                        "inclusions (15 % each), circles, ellipses, rectangles, crosses, rings and "
                        "several of these anywhere in the cell, as rods or holes; both ε in [1, 20]; "
                        "the family of each cell is a feature."),
        PhotonicCrystalsConfig(
            name="smooth", cells="smooth", n_max=DATASET_N_MAX["smooth"],
            description="20 000 cells: the gapped level sets without symmetrization (smooth blobs of "
                        "any shape, anywhere), high-index rods (ε ~ U(4, 20)) in air or ε ~ U(1, 2), or "
                        "the two swapped (holes)."),
        PhotonicCrystalsConfig(
            name="varied", cells="varied", n_max=DATASET_N_MAX["varied"],
            description="20 000 cells of the kinds users draw that the general mix lacks: centred circular or "
                        "square rods and holes over their full size range (30 %), thin veins and frames of "
                        "1-3 pixels (20 %), 2-4 inclusions of clearly different sizes (25 %), and motifs of the "
                        "other families tiled 2x2 or 4x4 (25 %: a shorter true period, folded bands)."),
        PhotonicCrystalsConfig(
            name="pairs", cells="pairs", n_max=DATASET_N_MAX["pairs"],
            description="20 000 diatomic cells: two circular (3 in 4) or square inclusions anywhere, the larger of "
                        "radius ~ U(0.08, 0.3), the smaller 0.15-0.85 of it; dielectric rods (ε ~ U(2, 20)) in air "
                        "or ε ~ U(1, 1.5), or the same as holes in a slab (1 in 3)."),
        PhotonicCrystalsConfig(
            name="varied_tiny", cells="varied", n_train=12, n_validation=4, n_test=8, n_max=3,
            chunk_size=4, description="24 varied cells, solver at n_max = 3: for tests."),
        PhotonicCrystalsConfig(
            name="pairs_tiny", cells="pairs", n_train=12, n_validation=4, n_test=8, n_max=3,
            chunk_size=4, description="24 pairs cells, solver at n_max = 3: for tests."),
        PhotonicCrystalsConfig(
            name="gapped_tiny", cells="gapped", n_train=12, n_validation=4, n_test=8, n_max=3,
            chunk_size=4, description="24 gapped cells, solver at n_max = 3: for tests."),
        PhotonicCrystalsConfig(
            name="sibcl_tiny", cells="sibcl", n_train=12, n_validation=4, n_test=8, n_max=3,
            chunk_size=4, description="24 sibcl cells, solver at n_max = 3: for tests."),
        PhotonicCrystalsConfig(
            name="general_tiny", cells="general", n_train=12, n_validation=4, n_test=8, n_max=3,
            chunk_size=4, description="24 general cells, solver at n_max = 3: for tests."),
    ]
    DEFAULT_BUILDER_CONFIG_NAME = "gapped"

    @tfds.core.utils.classproperty
    @classmethod
    def code_path(cls) -> epath.Path:
        # TFDS 4.9 resolves this through the `importlib_resources` backport, which it requires
        # only on Python < 3.9; without it every download_and_prepare fails. This file is the
        # answer anyway.
        return epath.Path(__file__)

    def _info(self) -> tfds.core.DatasetInfo:
        settings = self.builder_config.settings
        n_k, n_bands = settings.k_grid_n ** 2, settings.n_bands
        features = {
            "eps": tfds.features.Tensor(shape=(N_PIXELS, N_PIXELS, 1), dtype=np.float32),
            "seed": tfds.features.Scalar(dtype=np.int64),
            "index": tfds.features.Scalar(dtype=np.int64),
        }
        for pol in ("tm", "te"):
            features[f"{pol}_bands"] = tfds.features.Tensor(shape=(n_k, n_bands), dtype=np.float32)
            for name in ("gaps", "midgaps"):
                features[f"{pol}_{name}"] = tfds.features.Tensor(shape=(n_bands - 1,),
                                                                 dtype=np.float32)
        features.update({name: tfds.features.Scalar(dtype=np.float32) for name in _SCALARS})
        features["band_edges"] = tfds.features.Tensor(shape=(4 * min(n_bands, EDGE_BANDS),), dtype=np.float32)
        features["family"] = tfds.features.ClassLabel(names=FAMILIES)
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(features),
            supervised_keys=("eps", "tm_gap_ratio"),
            homepage="https://arxiv.org/abs/2406.08318",
        )

    def _download_and_prepare(self, dl_manager, download_config) -> None:
        # The same chunks run either on local threads or, when a Beam runner or options are
        # given (`tfds build --beam_pipeline_options=...`), as a Beam pipeline.
        self._use_beam = (download_config.beam_runner is not None
                          or download_config.beam_options is not None)
        super()._download_and_prepare(dl_manager, download_config)

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        return {name: self._generate_examples(start=start, n=n)
                for name, (start, n) in self.builder_config.split_ranges().items()}

    def _generate_examples(self, start: int, n: int):
        cfg = self.builder_config
        if getattr(self, "_use_beam", False):
            beam = tfds.core.lazy_imports.apache_beam
            return (beam.Create(chunk_ranges(start, n, cfg.chunk_size))
                    | beam.FlatMap(_chunk_examples, cfg.cells, cfg.seed, cfg.settings))
        return self._local_examples(start, n)

    def _local_examples(self, start: int, n: int):
        cfg = self.builder_config
        cache = (epath.Path(self.data_dir_root) / "downloads" / "photonic_crystals_cache"
                 / f"{cfg.name}-{self.version}" / f"cells-{start}-{n}")
        for chunk in generate_chunks(cfg.cells, cfg.seed, start, n, cfg.settings,
                                     chunk_size=cfg.chunk_size, cache_dir=cache,
                                     desc=f"photonic_crystals/{cfg.name} cells {start}+{n}"):
            for i, index in enumerate(chunk["index"]):
                yield int(index), _example(chunk, i)
        cache.rmtree()
