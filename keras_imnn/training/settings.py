"""How a model is trained: one frozen settings object for ``fit``, ``train_on``, comparisons and the search."""
from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class TrainSettings:
    """Adam with early stopping (best weights restored), deterministic by ``seed``.

    Attributes:
        epochs: the most epochs to train.
        batch_size: examples per step (numpy data; a ``tf.data.Dataset`` is batched already).
        learning_rate: Adam's.
        patience: epochs without a better validation (else training) loss before stopping.
        seed: fixes initialization, shuffles and dropout.
        verbose: Keras' ``fit`` verbosity ("auto", 0, 1 or 2).
    """

    epochs: int = 200
    batch_size: int = 32
    learning_rate: float = 1e-3
    patience: int = 20
    seed: int = 0
    verbose: Any = "auto"

    def __post_init__(self) -> None:
        # Refuse what would fail obscurely inside Keras or train nothing (a NaN learning rate
        # "trains" a NaN model).
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1; got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1; got {self.batch_size}")
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ValueError(f"learning_rate must be a finite number > 0; got {self.learning_rate}")
        if self.patience < 0:
            raise ValueError(f"patience must be >= 0; got {self.patience}")

    @classmethod
    def from_args(cls, args: argparse.Namespace, **changes: Any) -> TrainSettings:
        """The settings a command's options give (those it has: ``--epochs``, ``--batch-size``, ...)."""
        given = {f.name: getattr(args, f.name) for f in fields(cls) if getattr(args, f.name, None) is not None}
        return cls(**{**given, **changes})

    def record(self) -> dict[str, Any]:
        """The settings that shape a trained model, for run records (not the seed, varied per run, nor verbosity)."""
        return {"epochs": self.epochs, "patience": self.patience, "batch_size": self.batch_size,
                "learning_rate": self.learning_rate}


DEFAULTS = TrainSettings()  # what a run trains with when given no settings
