"""How a model is trained: one frozen settings object, the one home of every training option.

``fit``, ``train``, ``train_on``, ``finetune``, comparisons and the search take a ``TrainSettings``; every command
that trains makes its options from the fields below (``add_settings_options``: name, type, bounds and help come from
each field's metadata) and reads them back with ``TrainSettings.from_args``. A new option is a field here and its use
in ``fit``: no command line, script or signature repeats it.
"""
from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from keras_imnn.cli_options import checked


def _option(convert: Callable[[str], Any], help: str, ok: Callable[[Any], bool] | None = None,
            requirement: str = "", none: str = "", metavar: str | None = None) -> dict[str, Any]:
    """A field's metadata: how its command-line option converts and checks a value (``ok``, said as
    ``requirement``; ``none``: what None means, where None is allowed) and its help."""
    return {"convert": convert, "help": help, "ok": ok, "requirement": requirement, "none": none, "metavar": metavar}


@dataclass(frozen=True)
class TrainSettings:
    """Adam with early stopping (best weights restored), deterministic by ``seed``.

    Attributes:
        epochs: the most epochs to train.
        batch_size: examples per step (numpy data; a ``tf.data.Dataset`` is batched already).
        learning_rate: Adam's.
        patience: epochs without a better validation (else training) loss before stopping.
        seed: fixes initialization, shuffles, dropout and data subsets.
        verbose: Keras' ``fit`` verbosity ("auto", 0, 1 or 2).
        max_minutes: a wall-clock budget of one training run: it stops at the end of the first epoch that ends past
            it (None: no budget). However training stops, the weights of the best epoch are restored.
        lr_patience: epochs without a better loss (the one early stopping watches) before the learning
            rate is halved (None: a constant learning rate); the plateau after its 6th halving ends training.
        monitor: what early stopping, best-weight restoring and ``lr_patience`` watch: "loss" or one of the
            task's compiled metrics (e.g. "mae"), on the validation data if given. The photonic MSE loss
            follows a few hard cells: on general cells it rose while the validation MAE fell by a third.
        validate_every: score the validation data after every this many epochs (Keras' ``validation_freq``);
            ``patience`` and ``lr_patience`` still count epochs. An orbit-averaged model scores each validation
            example |G| times: with a few hundred training examples validating costs 8× the training epoch.
    """

    epochs: int = field(default=200, metadata=_option(int, "the most epochs (default: %(default)s)",
                                                      lambda v: v >= 1, ">= 1"))
    batch_size: int = field(default=32, metadata=_option(int, "examples per step (default: %(default)s)",
                                                         lambda v: v >= 1, ">= 1"))
    learning_rate: float = field(default=1e-3, metadata=_option(
        float, "Adam's initial learning rate (default: %(default)g)", lambda v: math.isfinite(v) and v > 0,
        "a finite number > 0"))
    patience: int = field(default=20, metadata=_option(
        int, "early stopping: epochs without a better validation score (default: %(default)s)",
        lambda v: v >= 0, ">= 0"))
    seed: int = field(default=0, metadata=_option(
        int, "fixes initialization, shuffles and data splits (default: %(default)s)", lambda v: 0 <= v < 2**32,
        "in [0, 2**32)"))
    verbose: Any = "auto"
    max_minutes: float | None = field(default=None, metadata=_option(
        float, "wall-clock budget of each training run: it stops after the first epoch that ends past it, keeping the "
        "best epoch's weights (default: none)", lambda v: math.isfinite(v) and v > 0, "a finite number > 0",
        none="no budget"))
    lr_patience: int | None = field(default=None, metadata=_option(
        int, "halve the learning rate after this many epochs without a better monitored score, and stop at the plateau "
        "after its 6th halving (default: a constant learning rate)", lambda v: v >= 0, ">= 0",
        none="a constant learning rate"))
    monitor: str = field(default="loss", metadata=_option(
        str, "what early stopping (and a learning-rate schedule) watch on the validation split: loss, or a metric "
        "of the task (e.g. mae: the photonic MSE loss follows a few hard cells; default: %(default)s)"))
    validate_every: int = field(default=1, metadata=_option(
        int, "score the validation split every K epochs (default %(default)s; patience still counts epochs): an "
        "orbit-averaged model pays |G| passes per validation example", lambda v: v >= 1,
        ">= 1 (epochs between validations)", metavar="K"))

    def __post_init__(self) -> None:
        # Refuse what would fail obscurely inside Keras or train nothing (a NaN learning rate "trains" a NaN model):
        # the same bounds as the command-line options, from the same metadata.
        for f in fields(self):
            ok, value = f.metadata.get("ok"), getattr(self, f.name)
            if ok is None or (value is None and f.metadata["none"]):
                continue
            if not ok(value):
                none = f" (or None: {f.metadata['none']})" if f.metadata["none"] else ""
                raise ValueError(f"{f.name} must be {f.metadata['requirement']}{none}; got {value}")

    @classmethod
    def from_args(cls, args: argparse.Namespace, **changes: Any) -> TrainSettings:
        """The settings a command's options give (those of ``add_settings_options`` it has), with ``changes``."""
        given = {f.name: getattr(args, f.name) for f in fields(cls) if getattr(args, f.name, None) is not None}
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
#: What fine-tuning (``finetune``, ``keras-imnn finetune``) changes of ``DEFAULTS``: few examples, a short run.
FINETUNE_DEFAULTS = {"epochs": 100, "patience": 10}


def add_settings_options(parser: argparse.ArgumentParser, defaults: Mapping[str, Any] | None = None,
                         helps: Mapping[str, str] | None = None, exclude: Collection[str] = ()) -> None:
    """One option per field of ``TrainSettings`` (``--epochs``, ``--batch-size``, ..., ``--validate-every``; not
    ``verbose`` nor those in ``exclude``), checked by the field's bounds before any work. ``defaults`` replaces a
    field's default for this command, ``helps`` its help where the command gives it another meaning (both keyed by
    field name); ``TrainSettings.from_args`` reads them back."""
    options = [f for f in fields(TrainSettings) if f.metadata and f.name not in exclude]
    unknown = (set(defaults or {}) | set(helps or {}) | set(exclude)) - {f.name for f in fields(TrainSettings)}
    if unknown:
        raise ValueError(f"add_settings_options: no field {sorted(unknown)}; fields: "
                         f"{[f.name for f in fields(TrainSettings)]}")
    for f in options:
        meta = f.metadata
        kind = meta["convert"]
        if meta["ok"] is not None:
            requirement = meta["requirement"].partition(" (")[0]
            kind = checked(kind, meta["ok"], f"an integer {requirement}" if kind is int else requirement)
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=kind, metavar=meta["metavar"],
                            default=(defaults or {}).get(f.name, f.default),
                            help=(helps or {}).get(f.name, meta["help"]))
