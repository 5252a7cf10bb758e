"""The real `tfds build` command line builds both datasets (the `tfds` and `magnet` extras; ~30 s)."""
from __future__ import annotations

import subprocess
import sysconfig
from pathlib import Path

import numpy as np
import tensorflow_datasets as tfds

import tfds_builders  # noqa: F401  registers the builders for reading back

DATASETS = {
    "photonic_crystals/gapped_tiny": {"train": 12, "validation": 4, "test": 8},
    "frustrated_magnets/square_4x4_j2_0.5": {"train": 644, "test": 5000, "full": 12870},
}


def test_tfds_build_command_line(tmp_path: Path) -> None:
    tfds_cli = Path(sysconfig.get_path("scripts")) / "tfds"  # the console script of this environment
    run = subprocess.run([str(tfds_cli), "build", *DATASETS, "--imports", "tfds_builders",
                          "--data_dir", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    for name, sizes in DATASETS.items():
        builder = tfds.builder(name, data_dir=tmp_path)
        assert {split: info.num_examples for split, info in builder.info.splits.items()} == sizes
        x, y = next(iter(tfds.as_numpy(builder.as_dataset(split="train", as_supervised=True, batch_size=4))))
        assert x.shape[1:] == builder.info.features[builder.info.supervised_keys[0]].shape
        assert y.shape == (4,) and np.all(np.isfinite(y))
