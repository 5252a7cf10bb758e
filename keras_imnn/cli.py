"""The ``keras-imnn`` command line.

Each domain adds its own subcommands through an ``add_*`` function, so this file only wires
them together; heavy imports (Keras, TensorFlow, QuSpin) happen inside the handlers so that
``keras-imnn --help`` stays fast.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import zipfile
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter is not for users


def _checked(convert: Callable[[str], float], ok: Callable[[float], bool], requirement: str) -> Callable[[str], float]:
    """An argparse ``type=`` that converts, then refuses values outside ``requirement`` before any work."""
    def parse(text: str) -> float:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {requirement}; got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"must be {requirement}; got {text}")
        return value
    return parse


# Numeric option types shared by the subcommands. A NaN fails every comparison, so it is refused too.
positive_int = _checked(int, lambda v: v >= 1, "an integer >= 1")
nonnegative_int = _checked(int, lambda v: v >= 0, "an integer >= 0")
seed_int = _checked(int, lambda v: 0 <= v < 2**32, "an integer in [0, 2**32)")  # numpy's seed range
positive_float = _checked(float, lambda v: math.isfinite(v) and v > 0, "a finite number > 0")
fraction = _checked(float, lambda v: 0 <= v < 1, "a number in [0, 1)")

# Errors a user's input causes (a bad path or file, a missing array, a wrong option): one line, no
# traceback. Anything else (TypeError, AttributeError, ...) is a bug and keeps its traceback.
USER_ERRORS = (ValueError, OSError, KeyError, zipfile.BadZipFile)


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
    except USER_ERRORS as err:
        message = f"missing key {err}" if isinstance(err, KeyError) else str(err)  # str(KeyError) is the bare key
        print(f"keras-imnn {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
