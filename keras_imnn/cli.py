"""The ``keras-imnn`` command line.

Each domain adds its own subcommands through an ``add_*`` function, so this file only wires
them together; heavy imports (Keras, TensorFlow, QuSpin) happen inside the handlers so that
``keras-imnn --help`` stays fast.
"""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter is not for users


def build_parser() -> argparse.ArgumentParser:
    from keras_imnn import demo
    from keras_imnn.models import commands as model_commands
    from keras_imnn.physics.magnet import commands as magnet_commands
    from keras_imnn.physics.photonic import commands as photonic_commands
    from keras_imnn.search import commands as search_commands
    from keras_imnn.training import commands as training_commands

    parser = argparse.ArgumentParser(
        prog="keras-imnn",
        description="Invariant multiscale neural networks: model zoo, datasets and physics solvers.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    model_commands.add_commands(sub)
    training_commands.add_commands(sub)
    search_commands.add_commands(sub)
    demo.add_commands(sub)
    generate = sub.add_parser("generate", help="generate a dataset as plain arrays (no TFDS)")
    generate_sub = generate.add_subparsers(dest="task", metavar="TASK", required=True)
    plot = sub.add_parser("plot", help="draw a dataset's cells / states and labels as a PNG")
    plot_sub = plot.add_subparsers(dest="task", metavar="TASK", required=True)
    for domain in (photonic_commands, magnet_commands):
        domain.add_generate(generate_sub)
        domain.add_plot(plot_sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError) as err:
        # Bad user input: one clear line, not a traceback.
        print(f"keras-imnn {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
