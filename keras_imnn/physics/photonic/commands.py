"""`keras-imnn generate photonic` and `keras-imnn plot photonic`."""
from __future__ import annotations

import argparse


def add_generate(sub: argparse._SubParsersAction) -> None:
    """Register ``generate photonic`` (filled in by the photonic issue)."""


def add_plot(sub: argparse._SubParsersAction) -> None:
    """Register ``plot photonic`` (filled in by the photonic issue)."""
