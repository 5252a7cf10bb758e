"""Inverse design of photonic crystals through the zoo's differentiable surrogates, verified by the solver.

    result = keras_imnn.design.maximize_gap(eps=(1.0, 12.0), polarization="tm", bands=(1, 2))
    result.eps, result.predicted, result.verified, result.history

Names resolve lazily: the command line registers ``design`` without importing Keras.
"""
from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"maximize_gap": "keras_imnn.design.loop", "GapObjective": "keras_imnn.design.objectives",
         "DesignResult": "keras_imnn.design.result", "DesignHistory": "keras_imnn.design.result"}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'keras_imnn.design' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
