"""The ``keras-imnn`` command line.

Each domain adds its own subcommands through an ``add_*`` function, so this file only wires
them together; heavy imports (Keras, TensorFlow, QuSpin) happen inside the handlers so that
``keras-imnn --help`` stays fast.
"""
from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import tempfile
import zipfile
from collections.abc import Callable

from keras_imnn.errors import UserError

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


def add_monitor_option(parser: argparse.ArgumentParser) -> None:
    """``--monitor`` (``TrainSettings.monitor``), for every command that trains with early stopping."""
    parser.add_argument("--monitor", default="loss",
                        help="what early stopping (and a learning-rate schedule) watch on the validation split: "
                             "loss, or a metric of the task (e.g. mae: the photonic MSE loss follows a few hard "
                             "cells)")


def add_validate_every_option(parser: argparse.ArgumentParser) -> None:
    """``--validate-every K`` (``TrainSettings.validate_every``), for every command that trains."""
    parser.add_argument("--validate-every", type=positive_int, metavar="K",
                        help="score the validation split every K epochs (default 1; patience still counts epochs): "
                             "an orbit-averaged model pays |G| passes per validation example")

# Errors a user's input causes (a bad path or file, a missing array, a wrong option): one line, no
# traceback. Anything else (TypeError, AttributeError, ...) is a bug and keeps its traceback.
USER_ERRORS = (ValueError, OSError, KeyError, zipfile.BadZipFile, UserError)


def build_parser() -> argparse.ArgumentParser:
    from keras_imnn import __version__, demo
    from keras_imnn.models import commands as model_commands
    from keras_imnn.physics.magnet import commands as magnet_commands
    from keras_imnn.physics.photonic import commands as photonic_commands
    from keras_imnn.search import commands as search_commands
    from keras_imnn.training import commands as training_commands

    parser = argparse.ArgumentParser(
        prog="keras-imnn",
        description="Invariant multiscale neural networks: model zoo, datasets and physics solvers.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
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


# Subcommands that run numpy/scipy/QuSpin only: they never import TensorFlow.
_NO_TENSORFLOW = ("generate", "plot")


def import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up lines (oneDNN, absl) kept off the terminal.

    TensorFlow writes them to file descriptor 2 before its logging reads TF_CPP_MIN_LOG_LEVEL, so
    only a redirect of the descriptor hides them; if the import fails, what it wrote is shown.
    """
    if "tensorflow" in sys.modules or os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return
    sys.stderr.flush()
    saved, failed = os.dup(2), False
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        except BaseException:
            failed = True
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            if failed:
                log.seek(0)
                sys.stderr.write(log.read().decode(errors="replace"))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command not in _NO_TENSORFLOW:
        with contextlib.suppress(ImportError):  # without TensorFlow, Keras says which backend is missing
            import_tensorflow_quietly()
    return report_user_errors(f"keras-imnn {args.command}", lambda: args.func(args))


def report_user_errors(prog: str, run: Callable[[], int | None]) -> int:
    """``run()``'s exit status; a fault the user caused (``USER_ERRORS``) is one line on stderr and status 2."""
    try:
        return int(run() or 0)
    except USER_ERRORS as err:
        message = f"missing key {err}" if isinstance(err, KeyError) else str(err)  # str(KeyError) is the bare key
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
