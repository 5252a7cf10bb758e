"""What every command line of the project shares: checked numeric option types, the training options
several commands take, and the one-line report of a fault the user caused.

Apart from ``keras_imnn.cli`` (which wires the subcommands together) so that the command modules and the
benchmark scripts import these without importing the command line itself.
"""
from __future__ import annotations

import argparse
import math
import sys
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

from keras_imnn.errors import UserError
from keras_imnn.groups import GROUPS, normalize_group


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


def int_at_least(low: int, why: str = "") -> Callable[[str], float]:
    """An argparse ``type=`` for an integer >= ``low`` (``why``: the reason, put in the message)."""
    return _checked(int, lambda v: v >= low, f"an integer >= {low}{f' ({why})' if why else ''}")


def int_in(low: int, high: int) -> Callable[[str], float]:
    """An argparse ``type=`` for an integer in [``low``, ``high``]."""
    return _checked(int, lambda v: low <= v <= high, f"an integer in [{low}, {high}]")


# Numeric option types shared by the subcommands. A NaN fails every comparison, so it is refused too.
positive_int = _checked(int, lambda v: v >= 1, "an integer >= 1")
nonnegative_int = _checked(int, lambda v: v >= 0, "an integer >= 0")
seed_int = _checked(int, lambda v: 0 <= v < 2**32, "an integer in [0, 2**32)")  # numpy's seed range
positive_float = _checked(float, lambda v: math.isfinite(v) and v > 0, "a finite number > 0")
fraction = _checked(float, lambda v: 0 <= v < 1, "a number in [0, 1)")


def add_training_options(parser: argparse.ArgumentParser, epochs: int, patience: int, batch_size: int = 32,
                         seed: bool = True, helps: Mapping[str, str] | None = None) -> None:
    """``--epochs``, ``--batch-size``, ``--learning-rate``, ``--patience`` (and ``--seed``): the fields of
    ``TrainSettings`` every training command sets, with this command's defaults; ``helps`` replaces the help
    of an option (keyed ``epochs``, ``batch_size``, ``learning_rate``, ``patience``, ``seed``) where the
    command gives it another meaning."""
    # argparse fills %(default)s, so no help (a command's own included) can disagree with its default.
    text = {"epochs": "the most epochs (default: %(default)s)",
            "batch_size": "examples per step (default: %(default)s)",
            "learning_rate": "Adam's initial learning rate (default: 1e-3)",
            "patience": "early stopping: epochs without a better validation score (default: %(default)s)",
            "seed": "fixes initialization, shuffles and data splits"}
    unknown = set(helps or {}) - set(text)
    if unknown:
        raise ValueError(f"add_training_options: no option {sorted(unknown)}; options: {sorted(text)}")
    text.update(helps or {})
    parser.add_argument("--epochs", type=positive_int, default=epochs, help=text["epochs"])
    parser.add_argument("--batch-size", type=positive_int, default=batch_size, help=text["batch_size"])
    parser.add_argument("--learning-rate", type=positive_float, default=1e-3, help=text["learning_rate"])
    parser.add_argument("--patience", type=nonnegative_int, default=patience, help=text["patience"])
    if seed:
        parser.add_argument("--seed", type=seed_int, default=0, help=text["seed"])


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


def png_path(text: str) -> str:
    """An argparse ``type=`` for a picture to write: a path ending .png that is not a folder (matplotlib would
    write ``DIR.png`` beside a folder, and refuse other suffixes only after the work)."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file path ending .png, e.g. {path / 'plot.png'}")
    if path.suffix.lower() != ".png":
        raise argparse.ArgumentTypeError(f"must be a file path ending .png; got {text!r}")
    return text


def point_group(text: str) -> str:
    """An argparse ``type=`` for a point group name or a lattice name (its own point group acting on sites, e.g.
    kagome), case-insensitive, refused before any work if unknown."""
    from keras_imnn.lattices import LATTICES

    if text.lower() in LATTICES:
        return text.lower()
    try:
        return normalize_group(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"unknown group {text!r}; accepted: {', '.join(GROUPS)}, or a lattice's own "
                                         f"point group: {', '.join(LATTICES)}") from None


def add_group_option(parser: argparse.ArgumentParser) -> None:
    """``--group``: the point group of the data, for every command that builds invariant or augmented models."""
    parser.add_argument("--group", type=point_group,
                        help="point group of the data (default: the model's): an invariant model averages over it, "
                             "an augmented one draws from it; e.g. c2 for the triangular lattice, which keeps no "
                             "mirror, or a lattice's name for its own point group acting on sites (kagome data: "
                             "kagome)")


# Errors a user's input causes (a bad path or file, a missing array, a wrong option): one line, no
# traceback. Anything else (TypeError, AttributeError, ...) is a bug and keeps its traceback.
USER_ERRORS = (ValueError, OSError, KeyError, zipfile.BadZipFile, UserError)


def report_user_errors(prog: str, run: Callable[[], int | None]) -> int:
    """``run()``'s exit status; a fault the user caused (``USER_ERRORS``) is one line on stderr and status 2."""
    try:
        return int(run() or 0)
    except USER_ERRORS as err:
        message = f"missing key {err}" if isinstance(err, KeyError) else str(err)  # str(KeyError) is the bare key
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 2
