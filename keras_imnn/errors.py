"""Exceptions a user can act on; the ``keras-imnn`` command line prints them as one line."""
from __future__ import annotations


class UserError(Exception):
    """A failure caused by the input or the machine (a resource, a file), not by a bug."""


class GenerationError(UserError, RuntimeError):
    """A chunk of a dataset generation failed; finished chunks stay cached for a rerun."""
