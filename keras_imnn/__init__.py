"""keras_imnn: invariant multiscale neural networks for data-scarce science (Keras 3).

Schurov, Alforov, Katsnelson, Bagrov, Itin, "Invariant multiscale neural networks for
data-scarce scientific applications", arXiv:2406.08318 (2024).

Public surface::

    keras_imnn.list_models()                      # registered zoo names
    keras_imnn.load("photonic_inv_dilated")       # build (+ pretrained weights)
    keras_imnn.finetune(name_or_model, x, y)      # one-call fine-tuning
    keras_imnn.layers.PeriodicConv2D(...)         # building blocks
    keras_imnn.search.dilations(train, val, ...)  # architecture search (needs keras-tuner)

The physics subpackages (``keras_imnn.physics``) do not import Keras; the names above are
resolved lazily so that importing the solvers stays light.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "list_models": ("keras_imnn.models.registry", "list_models"),
    "load": ("keras_imnn.models.registry", "load"),
    "finetune": ("keras_imnn.training.finetune", "finetune"),
    "layers": ("keras_imnn.layers", None),
    "models": ("keras_imnn.models", None),
    "search": ("keras_imnn.search", None),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'keras_imnn' has no attribute {name!r}")
    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    return module if attr is None else getattr(module, attr)
