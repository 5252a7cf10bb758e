"""Labelled cells for the uncertainty study (docs/trust.md): index ranges of a config's seed 0.

    python benchmarks/trust_data.py OUT_DIR CONFIG NAME START N [NAME START N ...]

writes ``OUT_DIR/NAME.npz`` (the arrays of ``keras-imnn generate photonic``) for cells START..START+N-1
of CONFIG (e.g. ``general``), seed 0, at its dataset cutoff; chunks are cached in OUT_DIR/.cache-NAME, so an
interrupted run resumes. The checkpoints' splits: test 0..1999, validation 2000..2499, train 2500..19999.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from keras_imnn.physics.photonic import dataset
from keras_imnn.physics.photonic.commands import write_arrays


def main(argv: list[str]) -> None:
    out, config = Path(argv[0]), argv[1]
    settings = dataset.SolverSettings(n_max=dataset.DATASET_N_MAX[config])
    for name, start, n in zip(argv[2::3], map(int, argv[3::3]), map(int, argv[4::3]), strict=True):
        path = out / f"{name}.npz"
        if path.exists():
            continue
        began = time.perf_counter()
        chunks = list(dataset.generate_chunks(config, 0, start, n, settings, workers=1,
                                              cache_dir=out / f".cache-{name}", desc=name))
        write_arrays(path, {k: np.concatenate([c[k] for c in chunks]) for k in dataset.FIELDS}, {})
        print(f"{name}: cells {start}..{start + n - 1} in {time.perf_counter() - began:.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
