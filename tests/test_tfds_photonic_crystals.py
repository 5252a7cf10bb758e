"""photonic_crystals: the tiny configs through tfds.testing, the Beam path, label sanity and
``as_supervised``."""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import tensorflow_datasets as tfds

from keras_imnn.physics.photonic.cells import FAMILIES, sample_unit_cells
from keras_imnn.physics.photonic.dataset import edge_gaps
from tfds_builders.photonic_crystals import photonic_crystals


class PhotonicCrystalsTest(tfds.testing.DatasetBuilderTestCase):
    """Builds the five ``*_tiny`` configs (24 cells each): splits and features."""

    DATASET_CLASS = photonic_crystals.PhotonicCrystals
    BUILDER_CONFIG_NAMES_TO_TEST: ClassVar[list[str]] = ["gapped_tiny", "sibcl_tiny", "general_tiny", "varied_tiny",
                                                         "pairs_tiny"]
    SPLITS: ClassVar[dict[str, int]] = {"train": 12, "validation": 4, "test": 8}
    EXAMPLE_DIR = str(photonic_crystals.PhotonicCrystals.code_path.parent)  # nothing is downloaded
    SKIP_CHECKSUMS = True


def _as_arrays(builder, split):
    return {int(ex["index"]): ex for ex in tfds.as_numpy(builder.as_dataset(split=split))}


class PhotonicCrystalsBeamTest(tfds.testing.TestCase):
    """The Beam path (DirectRunner) writes the same examples as the local threads."""

    def test_beam_matches_local_and_labels_are_consistent(self):
        for cells in ("gapped", "general"):
            with self.subTest(cells=cells):
                self._check_beam_matches_local(cells)

    def _check_beam_matches_local(self, cells_config: str):
        import apache_beam as beam

        name = f"photonic_crystals/{cells_config}_tiny"
        local = tfds.builder(name, data_dir=f"{self.tmp_dir}/{cells_config}/local")
        local.download_and_prepare()
        beamed = tfds.builder(name, data_dir=f"{self.tmp_dir}/{cells_config}/beam")
        beamed.download_and_prepare(download_config=tfds.download.DownloadConfig(
            beam_runner=beam.runners.DirectRunner()))
        cache = Path(local.data_dir_root) / "downloads" / "photonic_crystals_cache"
        self.assertEqual(list(cache.rglob("*.npz")), [], "chunk caches are removed once written")
        for split, indices in (("test", range(8)), ("validation", range(8, 12)),
                               ("train", range(12, 24))):
            a, b = _as_arrays(local, split), _as_arrays(beamed, split)
            self.assertEqual(sorted(a), list(indices))  # fixed test split first, then the others
            self.assertEqual(sorted(b), list(indices))
            for i in indices:
                for key in a[i]:
                    np.testing.assert_array_equal(a[i][key], b[i][key],
                                                  err_msg=f"{split} {i} {key}")
        test = _as_arrays(local, "test")
        cells = sample_unit_cells(8, cells_config, seed=0)
        self.assertEqual(local.info.features["family"].names, list(FAMILIES))
        for i, ex in test.items():
            np.testing.assert_array_equal(ex["eps"][..., 0], cells.eps[i].astype(np.float32))
            self.assertAlmostEqual(ex["filling"], cells.filling[i], places=6)
            self.assertEqual(ex["family"], cells.family[i])
            self.assertEqual(ex["band_edges"].shape, (32,))
            gaps_from_edges = edge_gaps(ex["band_edges"])[0]  # (TM/TE, bands 1-7)
            for pol, gaps in zip(("tm", "te"), gaps_from_edges):
                np.testing.assert_allclose(gaps, ex[f"{pol}_gaps"][:7], atol=1e-6)
                bands = ex[f"{pol}_bands"]
                self.assertEqual(bands.shape, (256, 10))
                self.assertTrue(np.all(np.diff(bands, axis=1) >= 0))
                top, bottom = bands[:, 0].max(), bands[:, 1].min()
                self.assertAlmostEqual(ex[f"{pol}_gap"], max(0.0, bottom - top), places=6)
                self.assertAlmostEqual(ex[f"{pol}_midgap"], (bottom + top) / 2, places=6)
                self.assertEqual(ex[f"{pol}_gap"], ex[f"{pol}_gaps"][0])
                self.assertAlmostEqual(float(bands[136, 0]), 0.0, places=6)  # Γ is k_grid(16)[136]


class PhotonicCrystalsSupervisedTest(tfds.testing.TestCase):
    """``as_supervised=True`` gives (eps, TM gap-to-midgap ratio): the zoo's input and target."""

    def test_as_supervised_pairs_feed_the_zoo(self):
        import keras_imnn

        kwargs = {"split": "test", "data_dir": self.tmp_dir, "batch_size": -1}
        eps, ratio = tfds.as_numpy(tfds.load("photonic_crystals/gapped_tiny", as_supervised=True, **kwargs))
        full = tfds.as_numpy(tfds.load("photonic_crystals/gapped_tiny", **kwargs))
        np.testing.assert_array_equal(eps, full["eps"])  # one shard, not shuffled: the same order
        self.assertEqual(eps.shape, (8, 32, 32, 1))
        gap, midgap = full["tm_gap"], full["tm_midgap"]
        np.testing.assert_array_equal(ratio, np.where(gap > 0, gap / midgap, 0))  # midgap > 0: ω1 max > 0
        self.assertTrue(np.any(ratio > 0))  # gapped cells have TM gaps
        prediction = keras_imnn.load("photonic_inv_dilated").predict(eps, verbose=0)
        self.assertEqual(prediction.shape, (8, 1))
        self.assertLess(np.mean(np.abs(prediction[:, 0] - ratio)), 0.1)  # coarse n_max 3 labels


if __name__ == "__main__":
    tfds.testing.test_main()
