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
        max_minutes: a wall-clock budget: training stops at the end of the first epoch that ends past it
            (None: no budget). However training stops, the weights of the best epoch are restored.
        lr_patience: epochs without a better loss (the one early stopping watches) before the learning
            rate is halved (None: a constant learning rate).
        monitor: what early stopping, best-weight restoring and ``lr_patience`` watch: "loss" or one of the
            task's compiled metrics (e.g. "mae"), on the validation data if given. The photonic MSE loss
            follows a few hard cells: on general cells it rose while the validation MAE fell by a third.
        validate_every: score the validation data after every this many epochs (Keras' ``validation_freq``);
            ``patience`` and ``lr_patience`` still count epochs. An orbit-averaged model scores each validation
            example |G| times: with a few hundred training examples validating costs 8× the training epoch.
    """

    epochs: int = 200
    batch_size: int = 32
    learning_rate: float = 1e-3
    patience: int = 20
    seed: int = 0
    verbose: Any = "auto"
    max_minutes: float | None = None
    lr_patience: int | None = None
    monitor: str = "loss"
    validate_every: int = 1

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
        if self.max_minutes is not None and not (math.isfinite(self.max_minutes) and self.max_minutes > 0):
            raise ValueError(f"max_minutes must be a finite number > 0 (or None: no budget); got {self.max_minutes}")
        if self.validate_every < 1:
            raise ValueError(f"validate_every must be >= 1 (epochs between validations); got {self.validate_every}")
        if self.lr_patience is not None and self.lr_patience < 0:
            raise ValueError(f"lr_patience must be >= 0 (or None: a constant learning rate); got {self.lr_patience}")

    @classmethod
    def from_args(cls, args: argparse.Namespace, **changes: Any) -> TrainSettings:
        """The settings a command's options give (those it has: ``--epochs``, ``--batch-size``, ...).

        ``max_minutes`` is never read from ``args``: the ``--max-minutes`` of ``keras-imnn nas`` and of the
        benchmarks budgets a whole search, not each run; a command whose option is a run's budget passes it
        in ``changes``.
        """
        given = {f.name: getattr(args, f.name) for f in fields(cls)
                 if f.name != "max_minutes" and getattr(args, f.name, None) is not None}
        return cls(**{**given, **changes})

    def record(self) -> dict[str, Any]:
        """The settings that shape a trained model, for run records (not the seed, varied per run, nor verbosity).

        ``max_minutes``, ``lr_patience``, ``monitor`` and ``validate_every`` are there only when not the default,
        so records (and resumable searches) made before they existed still compare equal to the same settings now.
        """
        optional = {"max_minutes": self.max_minutes, "lr_patience": self.lr_patience,
                    "monitor": None if self.monitor == "loss" else self.monitor,
                    "validate_every": None if self.validate_every == 1 else self.validate_every}
        return {"epochs": self.epochs, "patience": self.patience, "batch_size": self.batch_size,
                "learning_rate": self.learning_rate, **{k: v for k, v in optional.items() if v is not None}}


DEFAULTS = TrainSettings()  # what a run trains with when given no settings
