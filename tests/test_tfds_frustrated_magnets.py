"""tfds.testing checks of frustrated_magnets on 4x4 configs (seconds to build)."""
import pathlib
import tempfile

import numpy as np
import tensorflow_datasets as tfds

from tfds_builders.frustrated_magnets import frustrated_magnets

SMALL = frustrated_magnets.make_config("square", (4, 4), 0.5, train_fraction=0.1, test_size=1000, seed=1)


class FrustratedMagnetsTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = frustrated_magnets.FrustratedMagnets
    BUILDER_CONFIG_NAMES_TO_TEST = ["square_4x4_j2_0.5"]  # SMALL: own test below (other sizes)
    SPLITS = {"train": 644, "test": 5000, "full": 12870}
    MOCK_OUT_FORBIDDEN_OS_FUNCTIONS = False  # QuSpin and numpy use os directly
    OVERLAPPING_SPLITS = ["full"]  # full holds every state, train and test included
    EXAMPLE_DIR = str(pathlib.Path(frustrated_magnets.__file__).parent)  # computed data: no dummy files to read

    def test_small_config_split_sizes(self):
        builder = self.DATASET_CLASS(data_dir=self.tmp_dir, config=SMALL)
        builder.download_and_prepare()
        sizes = {name: split.num_examples for name, split in builder.info.splits.items()}
        self.assertEqual(sizes, {"train": 1287, "test": 1000, "full": 12870})


class FrustratedMagnetsLabelsTest(tfds.testing.TestCase):
    """Labels agree with ED, splits are disjoint, metadata records the symmetries."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from keras_imnn.physics.magnet.ed import ground_state

        cls.builder = frustrated_magnets.FrustratedMagnets(data_dir=tempfile.mkdtemp(), config="square_4x4_j2_0.5")
        cls.builder.download_and_prepare()
        cls.gs = ground_state("square", (4, 4), 0.5, sector="symmetric")

    def _split(self, name):
        return tfds.as_numpy(self.builder.as_dataset(split=name, batch_size=-1))

    def test_labels_match_ed(self):
        full = self._split("full")
        order = np.argsort(full["state"])
        states = full["state"][order].astype(np.uint64)
        np.testing.assert_array_equal(states, self.gs.states)
        np.testing.assert_array_equal(full["sign"][order], self.gs.signs)
        np.testing.assert_allclose(full["amplitude"][order], self.gs.amplitudes, atol=1e-7)
        np.testing.assert_allclose(full["weight"][order], self.gs.weights, atol=1e-7)
        from keras_imnn.physics.magnet.ed import states_to_spins

        np.testing.assert_array_equal(full["spins"][order], states_to_spins(states, (4, 4)))

    def test_splits_disjoint_and_metadata(self):
        train, test = self._split("train")["state"], self._split("test")["state"]
        self.assertEqual(len(np.unique(train)), len(train))
        self.assertEqual(len(np.intersect1d(train, test)), 0)
        meta = self.builder.info.metadata
        self.assertAlmostEqual(meta["energy"], -8.4579233514, places=8)
        self.assertEqual(meta["sign_invariant_under"], ["Tx", "Ty", "Px", "Py", "Pd", "Z"])

    def test_deterministic(self):
        again = frustrated_magnets.FrustratedMagnets(data_dir=tempfile.mkdtemp(), config="square_4x4_j2_0.5")
        again.download_and_prepare()
        first = tfds.as_numpy(again.as_dataset(split="train", batch_size=-1))["state"]
        np.testing.assert_array_equal(np.sort(first), np.sort(self._split("train")["state"]))


def test_kagome_config_writes_three_sites_a_cell(tmp_path):
    """A kagome config's spins are (L1, L2, 3), site s of cell (x, y) at bit (x * L2 + y) * 3 + s, labels from ED."""
    from keras_imnn.physics.magnet.ed import ground_state, states_to_spins

    config = frustrated_magnets.make_config("kagome", (2, 2), 0.5, train_fraction=0.1, test_size=100)
    builder = frustrated_magnets.FrustratedMagnets(data_dir=str(tmp_path), config=config)
    builder.download_and_prepare()
    assert builder.info.features["spins"].shape == (2, 2, 3)
    full = tfds.as_numpy(builder.as_dataset(split="full", batch_size=-1))
    order = np.argsort(full["state"])
    states = full["state"][order].astype(np.uint64)
    gs = ground_state("kagome", (2, 2), 0.5, progress=False)
    np.testing.assert_array_equal(states, gs.states)
    np.testing.assert_array_equal(full["sign"][order], gs.signs)
    np.testing.assert_array_equal(full["spins"][order], states_to_spins(states, (2, 2, 3)))
    assert builder.info.metadata["marshall_violation"] is None  # kagome has no Marshall sublattice


if __name__ == "__main__":
    tfds.testing.test_main()
