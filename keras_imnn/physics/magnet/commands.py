"""`keras-imnn generate magnet` and `keras-imnn plot magnet`."""
from __future__ import annotations

import argparse


def add_generate(sub: argparse._SubParsersAction) -> None:
    """Register ``generate magnet`` (filled in by the magnet issue)."""


def add_plot(sub: argparse._SubParsersAction) -> None:
    """Register ``plot magnet`` (filled in by the magnet issue)."""
