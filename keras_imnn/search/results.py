"""Search results as JSON and a plot, and the re-training of the winners against the zoo on the test split."""
from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from keras_imnn.atomic import atomic_write_text, read_json
from keras_imnn.models.registry import get_spec
from keras_imnn.search.space import searched
from keras_imnn.tasks import Variant, get_task
from keras_imnn.training.data.task_data import TaskData
from keras_imnn.training.experiments.comparison import plot_bars, run_variants, summarize
from keras_imnn.training.settings import DEFAULTS, TrainSettings


def write_json(path: str | Path, result: Any) -> Path:
    """``search.json``: the search's settings, the top configurations and every trial."""
    path = Path(path)
    atomic_write_text(path, json.dumps({**result.record, "top": result.top, "trials": result.trials}, indent=1))
    return path


def read_search(path: str | Path) -> dict[str, Any]:
    """A ``search.json`` (a file, or the search's output directory)."""
    path = Path(path)
    path = path / "search.json" if path.is_dir() else path
    if not path.exists():
        raise FileNotFoundError(f"no search results at {path}")
    return read_json(path)


def plot_search(result: Any, path: str | Path) -> Path:
    """Validation objective of each completed trial (error bar: std over seeds; colour: epoch
    budget, which varies under Hyperband; star: the base model's own stack) and the best so far."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    record = result.record
    done = [(i, t) for i, t in enumerate(result.trials) if t["status"] == "COMPLETED"]
    fig, ax = plt.subplots(figsize=(7, 4))
    if done:
        order, trials = zip(*done)
        y = np.array([t["objective"] for t in trials])
        ax.errorbar(order, y, yerr=[t["std"] for t in trials], fmt="none", ecolor="0.6", capsize=2)
        epochs = [t["epochs"] for t in trials]
        if len(set(epochs)) > 1:
            fig.colorbar(ax.scatter(order, y, c=epochs, cmap="viridis", zorder=3), ax=ax, label="epoch budget")
        else:
            ax.scatter(order, y, zorder=3, label=f"trial ({epochs[0]} epochs)")
        own = [(i, t["objective"]) for i, t in done if t["overrides"] == record.get("start")]
        if own:
            ax.scatter(*zip(*own), s=160, marker="*", color="tab:orange", zorder=4,
                       label=f"{record['base']}'s own stack")
        best = np.minimum.accumulate(y) if record["objective"]["direction"] == "min" else np.maximum.accumulate(y)
        ax.step(order, best, where="post", color="tab:red", label="best so far")
        ax.legend()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("trial")
    ax.set_ylabel(f"{record['objective']['name']} (mean of {len(record['objective']['seeds'])} seeds)")
    ax.set_title(f"{record['algorithm']} search of {record['base']} (n_train {record['n_train']})", fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def winner_label(rank: int, overrides: dict[str, Any]) -> str:
    """A short table label: ``nas #1 d=[1, 2, 4] w=32 k=3 res``."""
    res = " res" if overrides["residual"] else ""
    return f"nas #{rank} d={list(overrides['dilations'])} w={overrides['filters']} k={overrides['kernel_size']}{res}"


@dataclass
class Comparison:
    """Test-split runs of the winners and the zoo models: records, Markdown table, mean/std stats."""

    results: list[dict[str, Any]]
    table: str
    stats: dict
    paths: dict[str, Path]


HAND_PICKED = (1, 2, 3)  # the authors' multiscale stack, the reference every search must beat


def compare(search: Any, data: TaskData, *, top: int = 3,
            seeds: Sequence[int] = (0, 1, 2), n_train: int | None = None, baselines: bool = True,
            settings: TrainSettings = DEFAULTS, out: str | Path | None = None, total_minutes: float | None = None,
            progress: bool = True) -> Comparison:
    """Re-train the search's ``top`` configurations with ``seeds`` and score them on ``test``, next to
    the authors' hand-picked ``[1, 2, 3]`` stack of ``base`` and the zoo's models of the task.

    Args:
        search: a ``SearchResult``, a ``search.json`` path or the search's output directory.
        data: ``data.train`` is the training pool: each seed trains on its own ``take(n_train, seed)`` (as
            ``run_variants``, so the spread includes the data draw); ``data.validation`` serves early stopping,
            ``data.test`` scores every model.
        top: how many of the search's best distinct configurations to re-train.
        seeds: at least 3 for a mean ± std worth comparing.
        n_train: training examples (default: the search's ``n_train``).
        baselines: also train the task's zoo models (``Task.baselines``).
        settings: training, as ``train_on`` (each run's seed is one of ``seeds``).
        out: directory for ``comparison.json`` (runs; a rerun resumes), ``comparison.md`` and
            ``comparison.png``.
        total_minutes: start no new run after this many minutes (``settings.max_minutes`` bounds each run).

    Returns:
        ``Comparison`` with the per-run records and the mean ± std table of the task's summary metrics
        (photonic: test MAE, R²; magnet: accuracy, sign overlap).
    """
    record = read_search(search) if isinstance(search, (str, Path)) else {**search.record, "top": search.top}
    if not isinstance(top, int) or top < 1:
        raise ValueError(f"top must be an int >= 1; got {top!r}")
    if len(set(seeds)) < 3:
        raise ValueError(f"compare needs at least 3 distinct seeds for a meaningful spread; got {list(seeds)}")
    if not record["top"]:
        raise ValueError("the search has no completed trial to re-train")
    # The base's task, not the record's: searches before tasks were named recorded "regression"/"classification".
    base = record["base"]
    task = get_task(get_spec(base).task)
    fixed = {k: tuple(v) if isinstance(v, list) else v for k, v in record["fixed_overrides"].items()}
    own = searched(get_spec(base).config)
    # A winner that is the base's own stack (the search starts there) is trained once, under both names.
    variants: list[Variant] = [
        (winner_label(i + 1, t["overrides"]) + (f" = {base}" if t["overrides"] == own else ""), base, False,
         {**fixed, **t["overrides"]}) for i, t in enumerate(record["top"][:top])]
    found_own = any(t["overrides"] == own for t in record["top"][:top])
    if tuple(get_spec(base).config.dilations) != HAND_PICKED:
        variants.append((f"{base} {list(HAND_PICKED)}", base, False, {**fixed, "dilations": HAND_PICKED}))
    if baselines:
        # Invariant baselines get the search's fixed overrides (group, head, ...); all get the data's shape.
        for label, name, augment, overrides in task.baselines:
            if found_own and label == base:
                continue
            extra = fixed if get_spec(name).config.arch == "inv" else {"input_shape": fixed["input_shape"]}
            variants.append((label, name, augment, {**overrides, **extra}))
    root = Path(out) if out is not None else None
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + 60 * total_minutes if total_minutes else None
    results = run_variants(variants, data, sizes=[n_train or record["n_train"]],
                           seeds=list(seeds), settings=settings, deadline=deadline, progress=progress,
                           results_path=root / "comparison.json" if root else None)
    table, stats = summarize(results, task, order=[label for label, *_ in variants])
    paths: dict[str, Path] = {}
    if root is not None:
        paths = {"json": root / "comparison.json", "table": root / "comparison.md", "plot": root / "comparison.png"}
        paths["table"].write_text(table)
        plot_bars(stats, task, paths["plot"], title=f"{record['algorithm']} search winners vs the zoo "
                  f"({base}, n_train {n_train or record['n_train']}, {len(set(seeds))} seeds)")
    return Comparison(results, table, stats, paths)
