"""What every command line of the project shares: checked numeric option types and the one-line report of a fault
the user caused (the training options come from ``keras_imnn.training.settings``).

Apart from ``keras_imnn.cli`` (which wires the subcommands together) so that the command modules and the
benchmark scripts import these without importing the command line itself.
"""
from __future__ import annotations

import argparse
import math
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from keras_imnn.errors import UserError
from keras_imnn.groups import GROUPS, normalize_group


def checked(convert: Callable[[str], float], ok: Callable[[float], bool], requirement: str) -> Callable[[str], float]:
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
    return checked(int, lambda v: v >= low, f"an integer >= {low}{f' ({why})' if why else ''}")


def int_in(low: int, high: int) -> Callable[[str], float]:
    """An argparse ``type=`` for an integer in [``low``, ``high``]."""
    return checked(int, lambda v: low <= v <= high, f"an integer in [{low}, {high}]")


# Numeric option types shared by the subcommands. A NaN fails every comparison, so it is refused too.
positive_int = checked(int, lambda v: v >= 1, "an integer >= 1")
nonnegative_int = checked(int, lambda v: v >= 0, "an integer >= 0")
seed_int = checked(int, lambda v: 0 <= v < 2**32, "an integer in [0, 2**32)")  # numpy's seed range
positive_float = checked(float, lambda v: math.isfinite(v) and v > 0, "a finite number > 0")
fraction = checked(float, lambda v: 0 <= v < 1, "a number in [0, 1)")


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
