"""keras_imnn: invariant multiscale neural networks for data-scarce science (Keras 3).

Schurov, Alforov, Katsnelson, Bagrov, Itin, "Invariant multiscale neural networks for
data-scarce scientific applications", arXiv:2406.08318 (2024).

Public surface::

    keras_imnn.list_models()                      # registered zoo names
    keras_imnn.presets()                          # per name: description, params, checkpoint metrics, ...
    keras_imnn.load("photonic_inv_dilated")       # build (+ pretrained weights)
    keras_imnn.load(name, include_top=False)      # the invariant feature extractor
    keras_imnn.finetune(name_or_model, x, y)      # one-call fine-tuning
    keras_imnn.predict(name, x)                   # Prediction(mean, std, in_domain, reasons)
    keras_imnn.layers.PeriodicConv2D(...)         # building blocks
    keras_imnn.datasets                           # registers the TFDS builders (imports tfds on first use)
    keras_imnn.search.dilations(train, val, ...)  # architecture search (needs keras-tuner)
    keras_imnn.design.maximize_gap(eps=(1, 12))   # inverse design through a surrogate, solver-verified

The physics subpackages (``keras_imnn.physics``) do not import Keras; the names above are
resolved lazily so that importing the solvers stays light.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "list_models": ("keras_imnn.models.registry", "list_models"),
    "load": ("keras_imnn.models.registry", "load"),
    "presets": ("keras_imnn.models.registry", "presets"),
    "finetune": ("keras_imnn.training.loop.finetune", "finetune"),
    "datasets": ("keras_imnn.datasets", None),
    "predict": ("keras_imnn.prediction", "predict"),
    "Prediction": ("keras_imnn.prediction", "Prediction"),
    "DomainWarning": ("keras_imnn.domain", "DomainWarning"),
    "layers": ("keras_imnn.layers", None),
    "models": ("keras_imnn.models", None),
    "search": ("keras_imnn.search", None),
    "design": ("keras_imnn.design", None),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'keras_imnn' has no attribute {name!r}")
    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    return module if attr is None else getattr(module, attr)


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


# The modules whose import registers keras_imnn's Keras objects (layers, metrics) by name, which
# keras.saving.load_model needs to rebuild a saved model. A new module with registered objects goes here.
_SERIALIZABLE = ("keras_imnn.layers", "keras_imnn.models.zoo_model")


def _register_keras_objects() -> None:
    for module in _SERIALIZABLE:
        importlib.import_module(module)


class _RegisterWhenKerasLoads(importlib.abc.MetaPathFinder):
    """Registers keras_imnn's objects right after ``keras`` itself is imported.

    Registering needs Keras (and so TensorFlow: seconds, hundreds of MB), which the physics solvers must not
    pay for; so ``import keras_imnn`` registers at once only if Keras is already loaded, and otherwise leaves
    this finder on ``sys.meta_path``. Asked for ``keras``, it returns the spec the other finders find, its
    loader patched to register once keras has executed; only then does the finder leave (TensorFlow asks for
    keras' spec without importing it).
    """

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "keras":
            return None
        others = (finder for finder in sys.meta_path if finder is not self)
        spec = next((s for finder in others if (s := finder.find_spec(fullname, path, target))), None)
        loader = spec and spec.loader
        if loader is not None:

            def exec_then_register(module: ModuleType) -> None:
                if self in sys.meta_path:
                    sys.meta_path.remove(self)
                del loader.exec_module  # unpatched first: a zip importer also loads keras' submodules
                loader.exec_module(module)
                _register_keras_objects()

            loader.exec_module = exec_then_register
        return spec


if "keras" in sys.modules:
    _register_keras_objects()
else:
    sys.meta_path.insert(0, _RegisterWhenKerasLoads())
