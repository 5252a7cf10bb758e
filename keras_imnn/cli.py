"""The ``keras-imnn`` command line.

Each domain adds its own subcommands through an ``add_*`` function, so this file only wires
them together; heavy imports (Keras, TensorFlow, QuSpin) happen inside the handlers so that
``keras-imnn --help`` stays fast.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile

from keras_imnn.cli_options import report_user_errors

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter is not for users


def build_parser() -> argparse.ArgumentParser:
    from keras_imnn import __version__, demo, prediction_commands
    from keras_imnn.design import commands as design_commands
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
    design_commands.add_commands(sub)
    prediction_commands.add_commands(sub)
    generate = sub.add_parser("generate", help="generate a dataset as plain arrays (no TFDS)")
    generate_sub = generate.add_subparsers(dest="task", metavar="TASK", required=True)
    label = sub.add_parser("label", help="label your own inputs with the physics solver (no TFDS)")
    label_sub = label.add_subparsers(dest="task", metavar="TASK", required=True)
    photonic_commands.add_label(label_sub)
    plot = sub.add_parser("plot", help="draw a dataset's cells / states and labels as a PNG")
    plot_sub = plot.add_subparsers(dest="task", metavar="TASK", required=True)
    for domain in (photonic_commands, magnet_commands):
        domain.add_generate(generate_sub)
        domain.add_plot(plot_sub)
    return parser


# Subcommands that run numpy/scipy/QuSpin only: they never import TensorFlow.
_NO_TENSORFLOW = ("generate", "label", "plot")


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


if __name__ == "__main__":
    raise SystemExit(main())
