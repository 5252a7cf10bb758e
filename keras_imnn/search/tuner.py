"""Architecture search over invariant multiscale models with keras-tuner (Hyperband or Bayesian optimization)."""
from __future__ import annotations

import json
import math
import statistics
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import keras
import keras_tuner as kt
import numpy as np

from keras_imnn.arrays import Arrays
from keras_imnn.atomic import atomic_write_text, read_json
from keras_imnn.models.registry import get_spec, load
from keras_imnn.search.space import (
    SEARCHED_FIELDS,
    SearchSpace,
    jsonable,
    largest_distinct_dilation,
    searched,
)
from keras_imnn.tasks import Task, get_task
from keras_imnn.training.data.inputs import check_xy
from keras_imnn.training.data.task_data import TaskData
from keras_imnn.training.loop.train import train_on
from keras_imnn.training.settings import TrainSettings

ALGORITHMS = ("hyperband", "bayesian")
HYPERBAND_FACTOR = 3
# Short trainings: a trial ranks stacks, it need not converge.
SEARCH_SETTINGS = TrainSettings(epochs=60, patience=10)


@dataclass
class SearchResult:
    """A finished search: every trial, the best distinct configurations, and the files written.

    ``trials`` and ``top`` hold dicts with ``trial_id``, ``status``, ``overrides`` (the searched
    ``ModelConfig`` fields), ``epochs`` (the trial's epoch budget), ``objective`` (mean over seeds),
    ``per_seed`` (seed → validation metric), ``std`` (over seeds), ``epochs_run`` and ``seconds``.
    """

    record: dict[str, Any]
    trials: list[dict[str, Any]]
    top: list[dict[str, Any]]
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def best_overrides(self) -> dict[str, Any]:
        """``ModelConfig`` overrides of the best configuration: ``load(base, **best_overrides)``."""
        if not self.top:
            raise ValueError("no trial of the search completed")
        return dict(self.top[0]["overrides"])


class _StartAtBase:
    """Oracle mixin: the first configuration drawn is the base model's own (``start_values``, when the
    space holds it), so a reported winner has beaten the base within the search itself; keras-tuner
    otherwise draws its first points at random. Hooks the oracles' one random draw (a private method)."""

    start_values: dict[str, Any] | None = None

    def _random_values(self) -> dict[str, Any] | None:
        if self.start_values is not None and not self._duplicate(self.start_values):
            return dict(self.start_values)
        return super()._random_values()


class _BayesianOracle(_StartAtBase, kt.oracles.BayesianOptimizationOracle):
    pass


class _HyperbandOracle(_StartAtBase, kt.oracles.HyperbandOracle):
    pass


class DilationTuner(kt.Tuner):
    """Each trial trains the base zoo model with the trial's conv stack once per seed (``train_on``).

    The model is always ``load(base, pretrained=False, **overrides)`` with ``arch="inv"``, so every
    trial is exactly invariant; ``train_on`` trains its trivial-group twin when orbit averaging is
    the identity on the data (symmetric cells), at 1/|G| of the cost. Returned metrics: the objective
    (mean over seeds), the per-seed values, their std, epochs run per seed and the trial's seconds.
    """

    def __init__(self, oracle: kt.Oracle, *, base: str, space: SearchSpace, train: Arrays, validation: Arrays,
                 seeds: tuple[int, ...], settings: TrainSettings, fixed: dict[str, Any], deadline: float | None,
                 **kwargs: Any) -> None:
        super().__init__(oracle, **kwargs)
        self.base, self.space, self.seeds = base, space, seeds
        task = get_task(get_spec(base).task)
        # Validation scores the trials: it is their "test" split. The nas command checked the lattice.
        self.data = TaskData(train, validation, validation, task, source="search")
        self.metric, _ = task.objective
        self.settings = replace(settings, verbose=0)
        self.fixed, self.deadline = fixed, deadline
        # The oracles may propose a stack again (e.g. differing only in an unused dilation): reuse
        # its measurement instead of training it again. Keyed by stack and epoch budget.
        self.measured: dict[str, dict[str, float]] = {}

    def pre_create_trial(self) -> None:
        # Past the deadline, cap the trial count at the trials already made: the oracle then stops.
        if self.deadline is not None and time.monotonic() > self.deadline and self.oracle.trials:
            self.oracle.max_trials = len(self.oracle.trials)

    def run_trial(self, trial: kt.engine.trial.Trial, *args: Any, **kwargs: Any) -> dict[str, float]:
        start = time.monotonic()
        values = trial.hyperparameters.values
        # Hyperband sets the epoch budget of each successive-halving round; a round retrains from
        # scratch (seed-exact, ≤ 1.5× the cost of resuming for factor 3).
        epochs = int(values.get("tuner/epochs", self.settings.epochs))
        key = json.dumps([self.space.overrides(values), epochs], sort_keys=True)
        if key in self.measured:
            return {**self.measured[key], "seconds": 0.0}
        metrics: dict[str, float] = {}
        for seed in self.seeds:
            keras.backend.clear_session()
            result = train_on(self.base, self.data,
                              settings=replace(self.settings, epochs=epochs, seed=seed),
                              **self.fixed, **self.space.overrides(values))
            metrics[f"{self.metric}_seed_{seed}"] = result.metrics[self.metric]
            metrics[f"epochs_run_seed_{seed}"] = float(result.info["epochs_run"])
        per_seed = [metrics[f"{self.metric}_seed_{s}"] for s in self.seeds]
        metrics[f"val_{self.metric}"] = statistics.fmean(per_seed)
        metrics[f"val_{self.metric}_std"] = float(np.std(per_seed))
        metrics["epochs"] = float(epochs)
        metrics["seconds"] = time.monotonic() - start
        self.measured[key] = metrics
        return metrics

    def trial_records(self) -> list[dict[str, Any]]:
        """Every trial so far, in the order they were started (from the oracle: resumed searches too)."""
        records = []
        for trial_id in self.oracle.start_order:
            trial = self.oracle.trials[trial_id]
            values = trial.hyperparameters.values
            record = {"trial_id": trial_id, "status": trial.status, "overrides": self.space.overrides(values)}
            if trial.status == "COMPLETED":
                get = trial.metrics.get_last_value
                record.update({
                    "epochs": int(get("epochs")), "objective": get(f"val_{self.metric}"),
                    "std": get(f"val_{self.metric}_std"),
                    "per_seed": {str(s): get(f"{self.metric}_seed_{s}") for s in self.seeds},
                    "epochs_run": {str(s): int(get(f"epochs_run_seed_{s}")) for s in self.seeds},
                    "seconds": round(get("seconds"), 2)})
            elif trial.message:
                record["error"] = trial.message.strip().splitlines()[-1]
            records.append(record)
        return records


def dilations(train: Arrays | tuple[Any, Any], validation: Arrays | tuple[Any, Any], *, base: str,
              max_layers: int = 4, max_dilation: int | None = None, widths: tuple[int, ...] = (16, 32),
              kernel_sizes: tuple[int, ...] = (3, 5), budget: int = 20, algorithm: str = "bayesian",
              seeds: tuple[int, ...] = (0, 1), settings: TrainSettings = SEARCH_SETTINGS, seed: int = 0,
              top: int = 5, out: str | Path | None = None,
              resume: bool = False, total_minutes: float | None = None, verbose: int = 1,
              info: dict[str, Any] | None = None, **overrides: Any) -> SearchResult:
    """Search the conv stack of an invariant zoo model on a small dataset.

    Every trial is ``load(base, pretrained=False, dilations=…, filters=…, kernel_size=…, residual=…)``:
    an exactly invariant model (periodic convs, orbit averaging over the base's point group). It is
    trained once per seed in ``seeds`` (early stopping on ``validation``) and scored by the mean
    validation metric over the seeds: MAE (minimized) for regression, sign accuracy (maximized) for
    classification. The first trial is the base model's own stack when the space holds it
    (``record["start"]``; None otherwise), so the top configurations are measured against it.

    Args:
        train, validation: ``Arrays`` or ``(x, y)``: x ``(n, H, W[, 1])`` raw inputs, y ``(n,)`` or
            ``(n, 1)``; the data-scarce training set and the held-out set the objective is measured on.
        base: an ``arch="inv"`` zoo model, e.g. "photonic_inv_dilated" or "magnet_inv_dilated"; it
            fixes the task, group, head and input normalization.
        max_layers, max_dilation, widths, kernel_sizes: the search space (``SearchSpace``); each
            trial also chooses residual on/off. ``max_dilation`` defaults to (and may not exceed)
            ``lcm(H, W) // 2``: larger dilations alias smaller ones on the periodic input; of those
            that alias each other along both axes (up to a mirror), only the smallest is tried.
        budget: number of trials. Bayesian optimization: ``max_trials``. Hyperband (factor 3,
            ``max_epochs = settings.epochs``): its brackets are run until ``budget`` trials, successive-halving
            rounds included, were started; most of them train for fewer epochs.
        algorithm: "bayesian" or "hyperband".
        seeds: training seeds per trial (at least 2 distinct).
        settings: per-trial training (epochs, patience, batch size, learning rate; the seed is each of
            ``seeds``); under Hyperband ``settings.epochs`` is its ``max_epochs``.
        seed: seed of the search algorithm.
        top: how many distinct best configurations to report.
        out: directory for ``search.json``, ``search.png`` and the keras-tuner state (``tuner/``);
            None: a temporary directory, nothing kept.
        resume: continue the search saved in ``out`` (finished trials are not rerun).
        total_minutes: start no new trial after this many minutes (``settings.max_minutes`` bounds each run).
        verbose: keras-tuner's per-trial progress (0: silent).
        info: extra fields for ``search.json`` (e.g. the data source).
        **overrides: fixed ``ModelConfig`` overrides for every trial (e.g. ``group="c2"``).

    Returns:
        ``SearchResult`` (``.top[0]["overrides"]``, ``.best_overrides``).
    """
    from keras_imnn.search.results import plot_search, write_json

    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {ALGORITHMS}; got {algorithm!r}")
    for name, value in (("budget", budget), ("patience", settings.patience), ("top", top)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be an int >= 1; got {value!r}")
    seeds = tuple(dict.fromkeys(int(s) for s in seeds))
    if len(seeds) < 2:
        raise ValueError(f"seeds must hold at least 2 distinct seeds (the objective averages them so that "
                         f"the search does not chase seed noise); got {seeds}")
    if total_minutes is not None and total_minutes <= 0:
        raise ValueError(f"total_minutes must be positive; got {total_minutes!r}")
    clash = sorted(set(overrides) & {*SEARCHED_FIELDS, "input_shape"})
    if clash:
        raise ValueError(f"{clash} are set by the search (or by the data); remove them from the overrides")
    spec = get_spec(base)
    if spec.config.arch != "inv":
        raise ValueError(f"base must be an invariant zoo model (arch 'inv'), e.g. {spec.task}_inv_dilated; "
                         f"{base!r} is a {spec.config.arch!r} model")
    task = get_task(spec.task)
    train, validation, shape = _check_data(base, task, train, validation, overrides)
    if max_dilation is None:
        max_dilation = largest_distinct_dilation(*shape[:2])
    space = SearchSpace(max_layers, max_dilation, tuple(widths), tuple(kernel_sizes), lattice=shape[:2])

    metric, direction = task.objective
    objective = kt.Objective(f"val_{metric}", direction)
    hp = space.hyperparameters()
    if algorithm == "bayesian":
        # A quarter of the budget explores at random before the Gaussian process proposes.
        oracle = _BayesianOracle(
            objective, max_trials=budget, num_initial_points=max(2, budget // 4), seed=seed,
            hyperparameters=hp, tune_new_entries=False, allow_new_entries=False)
    else:
        oracle = _HyperbandOracle(
            objective, max_epochs=settings.epochs, factor=HYPERBAND_FACTOR, hyperband_iterations=None, seed=seed,
            hyperparameters=hp, tune_new_entries=False, allow_new_entries=False)
        oracle.max_trials = budget  # the base Oracle stops creating trials at max_trials
    own = searched(spec.config)
    own = own if space.contains(own) else None
    oracle.start_values = space.values(own) if own else None
    tmp = tempfile.TemporaryDirectory() if out is None else None
    root = Path(tmp.name if tmp else out)
    fixed = {**overrides, "input_shape": shape}
    deadline = time.monotonic() + 60 * total_minutes if total_minutes else None
    tuner = DilationTuner(oracle, base=base, space=space, train=train, validation=validation, seeds=seeds,
                          settings=settings, fixed=fixed, deadline=deadline, directory=str(root / "tuner"),
                          project_name=algorithm, overwrite=not resume)
    _check_resume(Path(tuner.project_dir) / "imnn_settings.json", resume, {
        "base": base, "space": space.to_dict(), "seeds": list(seeds), **settings.record(), "search_seed": seed,
        "fixed_overrides": jsonable(fixed), "n_train": len(train), "n_validation": len(validation)})
    start = time.monotonic()
    try:
        tuner.search(verbose=verbose)
        trials = tuner.trial_records()
        record = {
            "base": base, "task": task.name, "algorithm": algorithm, **(info or {}),
            "objective": {"name": f"validation {metric}", "direction": direction, "seeds": list(seeds)},
            "space": space.to_dict(), "start": own, "budget": budget, **settings.record(), "search_seed": seed,
            "fixed_overrides": jsonable(fixed), "n_train": len(train), "n_validation": len(validation),
            "seconds_this_session": round(time.monotonic() - start, 1),
            "backend": keras.backend.backend(),
        }
        result = SearchResult(record, trials, best_distinct(trials, direction, top))
        if tmp is None:
            result.paths = {"json": write_json(root / "search.json", result),
                            "plot": plot_search(result, root / "search.png")}
        return result
    finally:
        if tmp is not None:
            tmp.cleanup()


def best_distinct(trials: list[dict[str, Any]], direction: str, k: int) -> list[dict[str, Any]]:
    """The ``k`` best completed trials with distinct configurations.

    A configuration seen several times (Hyperband's rounds) counts with its longest-trained trial,
    the most reliable estimate; ties in epochs keep the better objective.
    """
    sign = 1.0 if direction == "min" else -1.0
    by_config: dict[str, dict[str, Any]] = {}
    for t in trials:
        if t["status"] != "COMPLETED" or not math.isfinite(t["objective"]):
            continue
        key = repr(sorted(t["overrides"].items()))
        kept = by_config.get(key)
        if kept is None or (t["epochs"], -sign * t["objective"]) > (kept["epochs"], -sign * kept["objective"]):
            by_config[key] = t
    return sorted(by_config.values(), key=lambda t: sign * t["objective"])[:k]


def _check_resume(path: Path, resume: bool, settings: dict[str, Any]) -> None:
    """A resumed search must keep its space, seeds and training settings (its trials were made with them)."""
    settings = json.loads(json.dumps(settings))  # tuples → lists, as read back
    if resume:
        if not path.exists():
            raise FileNotFoundError(f"no search to resume at {path.parent}")
        saved = read_json(path)
        changed = sorted(k for k in settings.keys() | saved.keys() if settings.get(k) != saved.get(k))
        if changed:
            raise ValueError(f"the search in {path.parent} was started with other {changed}: "
                             f"{ {k: saved.get(k) for k in changed} }; resume with the same options")
        return
    atomic_write_text(path, json.dumps(settings, indent=1))  # a resume reads it: never half a file


def _as_arrays(data: Arrays | tuple[Any, Any], name: str) -> Arrays:
    if isinstance(data, Arrays):
        return data
    if isinstance(data, tuple) and len(data) == 2:
        return Arrays(np.asarray(data[0]), np.asarray(data[1]))
    raise ValueError(f"{name} must be keras_imnn Arrays or an (x, y) tuple; got {type(data).__name__}")


def _check_data(base: str, task: Task, train: Any, validation: Any,
                overrides: dict[str, Any]) -> tuple[Arrays, Arrays, tuple[int, int, int]]:
    """Validated (train, validation) and their input shape; fails before any trial on bad data."""
    train, validation = _as_arrays(train, "train"), _as_arrays(validation, "validation")
    x = np.asarray(train.x)
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] != 1):
        raise ValueError(f"train x must have shape (n, H, W) or (n, H, W, 1); got {x.shape}")
    if len(train) < 1 or len(validation) < 1:
        raise ValueError(f"train and validation must be non-empty; got {len(train)} and {len(validation)} examples")
    shape = (int(x.shape[1]), int(x.shape[2]), 1)
    # Building the base at the data's shape checks the group against it (D4 needs square inputs).
    probe = load(base, pretrained=False, input_shape=shape, **overrides)
    checked = [check_xy(d.x, d.y, probe, task) for d in (train, validation)]
    train, validation = (Arrays(c.x, c.y, d.weight) for c, d in zip(checked, (train, validation)))
    return train, validation, shape
