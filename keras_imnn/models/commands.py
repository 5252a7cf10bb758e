"""`keras-imnn list` and `keras-imnn info NAME`."""
from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the zoo subcommands."""
