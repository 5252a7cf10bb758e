"""Train several models on the same seeds and splits, and summarize them as mean ± std over seeds.

Shared by ``benchmarks/compare_models.py`` (learning curves) and ``keras_imnn.search.compare``
(architecture-search winners against the zoo). A variant is ``(label, zoo name, augment,
overrides)``; each run trains from scratch on ``data.train.take(n, seed)`` and is scored on ``data.test``.
"""
from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from keras_imnn.atomic import atomic_path, atomic_write_text, read_json
from keras_imnn.models.registry import get_spec
from keras_imnn.tasks import Task, Variant
from keras_imnn.training.data.task_data import TaskData
from keras_imnn.training.loop.train import model_overrides, train_on
from keras_imnn.training.settings import DEFAULTS, TrainSettings


def with_group(variants: Sequence[Variant], group: str | None) -> list[Variant]:
    """``variants`` on data of point group ``group`` (None: the zoo's): the invariant models average
    over its orbits and the augmented CNNs draw from it (e.g. "c2" for the triangular 6×4 grid)."""
    if not group:
        return list(variants)
    return [(label, name, group if augment else False,
             {**overrides, "group": group} if get_spec(name).config.arch == "inv" else overrides)
            for label, name, augment, overrides in variants]


def run_variants(variants: Sequence[Variant], data: TaskData, *, sizes: Sequence[int | None], seeds: Sequence[int],
                 settings: TrainSettings = DEFAULTS, results_path: str | Path | None = None,
                 deadline: float | None = None, progress: bool = True, **train_kwargs: Any) -> list[dict[str, Any]]:
    """Train every variant for every size and seed; return one record per run.

    Records (``variant``, ``n_train``, ``seed``, ``epochs_run``, ``seconds``, ``test_metrics``, ``config``,
    ``settings``) are appended to ``results_path`` (rewritten atomically) as runs finish and finished runs
    found there are skipped, so a cut run resumes; a finished run whose model config differs from the
    variant's now (a zoo default changed), or that was asked for again with other training settings, raises
    instead of standing in for it.
    Runs go seed-major: cut short by ``deadline`` (``time.monotonic()``), every variant and size still
    has its first seeds. Each run trains with ``settings`` and its seed; ``train_kwargs`` go to ``train_on``.
    Every variant is checked against the data (``TaskData.check_model``) before the first run.
    """
    from tqdm import tqdm

    path = Path(results_path) if results_path is not None else None
    results = read_json(path, []) if path is not None else []
    variants = [(label, name, data.check_model(name, overrides, augment), overrides)
                for label, name, augment, overrides in variants]
    configs = {label: _config(name, augment, overrides, data.train.x.shape)
               for label, name, augment, overrides in variants}
    for r in results:
        now = configs.get(r["variant"])
        if now is not None and r.get("config", now) != now:  # records from before configs were kept pass
            changed = {k: (v, now.get(k)) for k, v in r["config"].items() if v != now.get(k)}
            raise ValueError(f"{path} holds {r['variant']!r} runs of another model config (was → now: {changed}); "
                             "relabel those runs or use another results file")
    done = {(r["variant"], r["n_train"], r["seed"]): r for r in results}
    # Sizes past the train split all become the whole split: one run each, not one per size asked for.
    sizes = list(dict.fromkeys(len(data.train) if n is None else min(n, len(data.train)) for n in sizes))
    wanted = [(v, n, s) for s in seeds for n in sizes for v in variants]
    recorded = settings.record()
    for v, n, s in wanted:  # other sizes may have trained with other settings (more epochs for fewer examples)
        was = done.get((v[0], n, s), {}).get("settings", recorded)  # records from before settings were kept pass
        if was != recorded:
            raise ValueError(f"{path} holds the {v[0]!r} run on {n} examples, seed {s}, trained with other "
                             f"settings ({was}; now {recorded}): use the same options or another results file")
    runs = [(v, n, s) for v, n, s in wanted if (v[0], n, s) not in done]
    for (label, name, augment, overrides), n, seed in tqdm(runs, desc="training runs", disable=not progress):
        if deadline is not None and time.monotonic() > deadline:
            print(f"time budget reached: {len(results)} runs done; rerun to resume")
            break
        start = time.monotonic()
        result = train_on(name, data.with_train(data.train.take(n, seed)), augment=augment,
                          settings=replace(settings, seed=seed, verbose=0), **train_kwargs, **overrides)
        results.append({"variant": label, "n_train": n, "seed": seed, "epochs_run": result.info["epochs_run"],
                        "seconds": round(time.monotonic() - start, 1),  # training and scoring, wall time
                        "test_metrics": result.metrics, "config": configs[label], "settings": recorded})
        if path is not None:  # whole or not at all: a kill mid-write keeps the finished runs
            atomic_write_text(path, json.dumps(results, indent=1))
    return results


def merge_runs(*run_lists: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records of several comparisons on the same data (e.g. processes that split the variants by
    ``--only``) as one list, in order of appearance; a run (variant, n_train, seed) found twice must be the
    same record, else which one stands is the user's call."""
    merged: dict[tuple, dict[str, Any]] = {}
    for runs in run_lists:
        for r in runs:
            key = (r["variant"], r["n_train"], r["seed"])
            if merged.setdefault(key, r) != r:
                raise ValueError(f"run {r['variant']!r} n_train {r['n_train']} seed {r['seed']} is held twice with "
                                 "other results; remove one of them")
    return list(merged.values())


def _config(name: str, augment: bool | str, overrides: dict[str, Any], x_shape: Sequence[int]) -> dict[str, Any]:
    """The model config ``train_on`` builds for a variant, as it reads back from JSON."""
    config = get_spec(name).config.replace(**model_overrides(name, augment, x_shape, overrides))
    return json.loads(json.dumps(config.to_dict()))


def summarize(results: list[dict], task: Task, order: Sequence[str] = (),
              metrics: Sequence[str] | None = None) -> tuple[str, dict]:
    """Markdown table of mean ± std over seeds, per (variant, n_train), variants in ``order`` (their
    labels; others after, as first run); and those stats by ``(variant, n_train, metric)``.
    ``metrics``: the columns, keys of the task's ``score`` (None: the task's ``summary_metrics``)."""
    groups: dict[tuple[str, int], list[dict]] = {}
    for r in results:
        groups.setdefault((r["variant"], r["n_train"]), []).append(r["test_metrics"])
    names = tuple(metrics) if metrics else task.summary_metrics
    lines = ["| model | n_train | seeds | " + " | ".join(names) + " |", "|---|---|---|" + "---|" * len(names)]
    stats = {}
    rank = {v: i for i, v in enumerate(dict.fromkeys([*order, *(r["variant"] for r in results)]))}
    for (variant, n), runs in sorted(groups.items(), key=lambda kv: (kv[0][1], rank[kv[0][0]])):
        cells = []
        for m in names:
            vals = np.array([r[m] for r in runs if m in r], dtype=float)
            stats[(variant, n, m)] = (vals.mean(), vals.std()) if len(vals) else (np.nan, np.nan)
            cells.append(f"{vals.mean():.4f} ± {vals.std():.4f}" if len(vals) else "—")
        lines.append(f"| {variant} | {n} | {len(runs)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n", stats


def _panels(stats: dict, height: float) -> tuple:
    """A figure with one panel per metric of ``stats`` (the table's columns): ``(fig, [(ax, metric), ...])``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(m for _, _, m in stats))
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), height), squeeze=False)
    return fig, list(zip(axes[0], names))


def _save(fig: Any, path: str | Path, title: str) -> None:
    import matplotlib.pyplot as plt

    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:  # the suffix picks the format
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


def plot_bars(stats: dict, task: Task, path: str | Path, title: str = "") -> None:
    """One panel per metric: a bar per variant (mean over seeds, error bar = std), one training size."""
    variants = list(dict.fromkeys(v for v, _, _ in stats))  # the table's order
    fig, panels = _panels(stats, 0.9 + 0.35 * len(variants))
    for ax, metric in panels:
        mean, std = zip(*(stats.get(_key(stats, v, metric), (np.nan, np.nan)) for v in variants))
        ax.barh(range(len(variants)), mean, xerr=std, capsize=3, color="tab:blue", alpha=0.7)
        ax.set_yticks(range(len(variants)), variants, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(f"test {metric} (mean ± std over seeds)")
        ax.grid(axis="x", alpha=0.3)
    _save(fig, path, title)


def is_error_metric(metric: str) -> bool:
    """Whether ``metric`` is an error (lower is better, > 0): MAEs, RMSEs, relative errors."""
    return metric.endswith(("mae", "mse", "rmse", "_err"))


def plot_curves(stats: dict, task: Task, path: str | Path, title: str = "") -> None:
    """One panel per metric: test metric vs training size, a line per variant (mean, error bars: std over seeds).

    Log-log for errors (``is_error_metric``), whose learning curves are about power laws: equal ratios read
    as equal steps, a constant factor between two models as a constant gap. Others: log training size only.
    """
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter, NullLocator

    fig, panels = _panels(stats, 3.6)
    sizes = sorted({n for _, n, _ in stats})
    for ax, metric in panels:
        for variant in dict.fromkeys(v for v, _, _ in stats):
            pts = sorted((n, *stats[(v, n, m)]) for v, n, m in stats if v == variant and m == metric)
            n, mean, std = map(np.array, zip(*pts))
            ax.errorbar(n, mean, yerr=std, marker="o", capsize=3, label=variant)
        ax.set_xscale("log")
        ax.set_xticks(sizes, [str(n) for n in sizes])  # the sizes trained, not powers of ten
        ax.xaxis.set_minor_locator(NullLocator())
        if is_error_metric(metric):
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
            ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("training examples")
        ax.set_ylabel(f"test {metric}\n(mean ± std over seeds)")  # long metric names fit on two lines
        ax.grid(alpha=0.3)
    panels[0][0].legend(fontsize=8)
    _save(fig, path, title)


def plot_comparison(stats: dict, task: Task, path: str | Path, title: str = "") -> None:
    """Learning curves over the training sizes of ``stats``; bars when it holds one size."""
    one_size = len({n for _, n, _ in stats}) == 1
    (plot_bars if one_size else plot_curves)(stats, task, path, title)


def _key(stats: dict, variant: str, metric: str) -> tuple | None:
    return next((k for k in stats if k[0] == variant and k[2] == metric), None)
