"""Build a ``photonic_crystals`` config with timing: ``tfds build`` without the TFDS CLI.

    PYTHONPATH=. python -m tfds_builders.photonic_crystals.build --config gapped [--data_dir D]
    PYTHONPATH=. python -m tfds_builders.photonic_crystals.build --config gapped_tiny \
        --beam_pipeline_options "runner=DirectRunner,direct_num_workers=2"

Same as ``tfds build photonic_crystals/CONFIG --imports tfds_builders [...]`` (whose command line needs
the ``tfds`` extra). Prints the wall time and the TM gap statistics of every split.
"""
from __future__ import annotations

import argparse
import json
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="gapped")
    parser.add_argument("--data_dir", default=None,
                        help="TFDS data dir (default ~/tensorflow_datasets)")
    parser.add_argument("--max_examples_per_split", type=int, default=None,
                        help="build only the first examples of each split (a timing sample)")
    parser.add_argument("--beam_pipeline_options", default=None,
                        help='Beam options as in `tfds build`, e.g. "runner=DirectRunner"')
    args = parser.parse_args(argv)

    import numpy as np
    import tensorflow_datasets as tfds

    import tfds_builders  # noqa: F401  registers photonic_crystals
    from keras_imnn.physics.photonic.dataset import format_histogram, label_statistics

    options = None
    if args.beam_pipeline_options:
        import apache_beam as beam

        flags = [f"--{opt}" for opt in args.beam_pipeline_options.split(",") if opt]
        options = beam.options.pipeline_options.PipelineOptions(flags)
    builder = tfds.builder(f"photonic_crystals/{args.config}", data_dir=args.data_dir)
    start = time.perf_counter()
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
        beam_options=options, max_examples_per_split=args.max_examples_per_split))
    seconds = time.perf_counter() - start
    print(f"built {builder.info.full_name} in {seconds:.1f} s at {builder.data_dir}")
    for split in builder.info.splits:
        labels = tfds.as_numpy(builder.as_dataset(split=split).map(
            lambda ex: (ex["tm_gap"], ex["tm_midgap"])).batch(4096))
        gap, mid = (np.concatenate(a) for a in zip(*labels))
        stats = label_statistics(gap, mid)
        print(f"{split}: {json.dumps(stats)}\n{format_histogram(stats)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
