"""What a task is: everything the training, evaluation, comparison and search code asks of it.

A task is one frozen object (in the spirit of keras-hub's ``Task``): how a compiled model learns it
(loss, metrics), how a trained one is scored, what a search optimizes, which data it reads and how
their features become arrays, and which zoo models a comparison trains. Nothing outside
``keras_imnn.tasks`` switches on a task's name.
"""
from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from keras_imnn.arrays import Arrays

if TYPE_CHECKING:
    import keras

# A comparison variant: (table label, zoo name, augment as ``train_on``'s, ModelConfig overrides).
Variant = tuple[str, str, bool | str, dict[str, Any]]


@dataclass(frozen=True)
class Task(abc.ABC):
    """One learning problem of the zoo. Subclasses give the behaviour; instances the data below.

    Attributes:
        name: the key zoo specs use (``ModelSpec.task``) and the CLI accepts.
        description: one line for help texts and errors.
        dataset_family: the TFDS builder of its data, e.g. "photonic_crystals".
        default_dataset: the TFDS name models of the task train on by default.
        input_feature: the feature holding the model inputs (it tells this task's examples apart).
        summary_metrics: the test metrics of comparison tables and plots (keys of ``score``).
        objective: (metric of ``score``, "min" | "max"): what an architecture search optimizes.
        scarce_n_train: training examples of the data-scarce setting (the search's default).
        baselines: the zoo models a comparison trains, strongest non-invariant baseline included.
        targets: the labels one example can give (the first is the default); () for one label.
        aliases: older names still accepted for the task.
        intended_use: what a model of the task is for and what its outputs mean (model cards, ``keras-imnn info``).
    """

    name: str
    description: str
    dataset_family: str
    default_dataset: str
    input_feature: str
    summary_metrics: tuple[str, ...]
    objective: tuple[str, str]
    scarce_n_train: int
    baselines: tuple[Variant, ...]
    targets: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    intended_use: str = ""

    @abc.abstractmethod
    def loss(self) -> keras.losses.Loss:
        """The training loss on the model's outputs."""

    @abc.abstractmethod
    def metrics(self) -> list[keras.metrics.Metric]:
        """The metrics ``fit`` reports per epoch."""

    def compile(self, model: keras.Model, learning_rate: float = 1e-3, jit_compile: bool | str = "auto") -> keras.Model:
        """``model`` compiled for this task (Adam, ``loss()``, ``metrics()``), ready for ``fit``/``evaluate``."""
        import keras

        model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=self.loss(), metrics=self.metrics(),
                      jit_compile=jit_compile)
        return model

    @abc.abstractmethod
    def score(self, y_true: np.ndarray, y_pred: np.ndarray, weight: np.ndarray | None = None) -> dict[str, float]:
        """Test metrics of predictions ``y_pred`` (the model's outputs) against ``y_true``."""

    @abc.abstractmethod
    def labels(self, examples: Mapping[str, np.ndarray], target: str | None) -> tuple[np.ndarray, np.ndarray | None]:
        """(y, weight or None) of a dict of dataset features for ``target`` (one of ``targets``)."""

    def point_prediction(self, outputs: np.ndarray, x: np.ndarray) -> np.ndarray:
        """What a user reads from the model's outputs ``(b, outputs)`` for inputs ``x`` ``(b, H, W, 1)``
        (``keras_imnn.predict``'s mean)."""
        return outputs

    def check_y(self, y: np.ndarray) -> np.ndarray:
        """``y`` if the loss can learn from it (finiteness is checked for every task); else a ValueError."""
        return y

    def arrays(self, examples: Mapping[str, np.ndarray], target: str | None = None) -> Arrays:
        """``Arrays`` of a dict of dataset features (a TFDS batch or a generated .npz)."""
        if target is not None and target not in self.targets:
            accepted = f"one of {self.targets}" if self.targets else "none (its data have one label)"
            raise ValueError(f"target {target!r} does not apply to {self.name} data: accepted {accepted}")
        self.require(examples, (self.input_feature,))
        y, weight = self.labels(examples, target or (self.targets[0] if self.targets else None))
        x = np.asarray(examples[self.input_feature], np.float32)
        return Arrays(x[..., None] if x.ndim == 3 else x, np.asarray(y, np.float32).reshape(len(x), -1), weight)

    def require(self, examples: Mapping[str, np.ndarray], keys: tuple[str, ...]) -> None:
        """Refuse features without ``keys``, naming the missing ones and those there are."""
        missing = [k for k in keys if k not in examples]
        if missing:
            raise ValueError(f"{self.name} data without {', '.join(map(repr, missing))}: "
                             f"the arrays are {sorted(examples)}")
