"""Architecture search over invariant multiscale models (keras-tuner).

    result = keras_imnn.search.dilations((x, y), (x_val, y_val), base="photonic_inv_dilated",
                                         max_layers=4, widths=(16, 32), budget=50, seed=0, out="nas")
    model = keras_imnn.load("photonic_inv_dilated", pretrained=False, **result.best_overrides)
    keras_imnn.search.compare(result, task_data, top=3, seeds=(0, 1, 2), out="nas")

Every trial is an exactly invariant zoo model; its objective is the validation metric averaged
over at least two training seeds. ``compare`` re-trains the winners against the zoo on the test split.
The names resolve lazily, so that ``keras-imnn --help`` does not import keras-tuner.
"""
from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "dilations": "keras_imnn.search.tuner",
    "SearchResult": "keras_imnn.search.tuner",
    "ALGORITHMS": "keras_imnn.search.tuner",
    "SearchSpace": "keras_imnn.search.space",
    "compare": "keras_imnn.search.results",
    "Comparison": "keras_imnn.search.results",
    "read_search": "keras_imnn.search.results",
}

__all__ = ["ALGORITHMS", "Comparison", "SearchResult", "SearchSpace", "compare", "dilations", "read_search"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'keras_imnn.search' has no attribute {name!r}")
    try:
        module = importlib.import_module(_LAZY[name])
    except ModuleNotFoundError as err:
        if err.name in ("keras_tuner", "sklearn"):
            raise ModuleNotFoundError(f"keras_imnn.search needs keras-tuner with Bayesian optimization "
                                      f"(missing {err.name}): pip install 'keras_imnn[search]'") from err
        raise
    return getattr(module, name)
