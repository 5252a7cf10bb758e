"""Model cards: what a zoo checkpoint is for, what it was trained on and how well it does, in Markdown.

One card per zoo name, built from ``presets()``, the task and the manifest entry (Hugging Face's model cards,
keras-hub's preset pages). ``keras-imnn info NAME`` prints it; the docs site renders one page per model from
it (``docs/gen_pages.py``). Machine paths of the training runs are shown as file names only.
"""
from __future__ import annotations

import re
from typing import Any

from keras_imnn import __version__
from keras_imnn.tasks import get_task

PAPER = ("Schurov, Alforov, Katsnelson, Bagrov, Itin, *Invariant multiscale neural networks for data-scarce "
         "scientific applications*, [arXiv:2406.08318](https://arxiv.org/abs/2406.08318) (2024)")
_ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:[\w.+-]+/)+([\w.+-]+)")


def public(value: Any) -> Any:
    """``value`` (a manifest entry, nested) with every absolute path cut to its last part: the training machine's
    folders mean nothing elsewhere (``/work/data/x.npz`` → ``x.npz``)."""
    if isinstance(value, str):
        return _ABSOLUTE_PATH.sub(r"\1", value)
    if isinstance(value, dict):
        return {k: public(v) for k, v in value.items()}
    if isinstance(value, list):
        return [public(v) for v in value]
    return value


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else "n/a" if value is None else str(value)


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(_number(c) for c in row) + " |" for row in rows)]


def weak_kinds(entry: dict[str, Any], metric: str, direction: str, worst: int = 2) -> list[tuple[str, float]]:
    """The ``worst`` families of the manifest's ``test_metrics_by_family`` on ``metric`` (``direction`` "min":
    the largest values are the worst), with their values; [] without per-family metrics."""
    by_family = entry.get("test_metrics_by_family") or {}
    scored = [(family, m[metric]) for family, m in by_family.items() if metric in m]
    return sorted(scored, key=lambda fv: fv[1], reverse=direction == "min")[:worst]


def model_card(name: str, preset: dict[str, Any], entry: dict[str, Any] | None) -> str:
    """The Markdown card of zoo model ``name`` from its ``presets()[name]`` and manifest entry (None: no checkpoint).

    Sections: the summary table, intended use, validity domain, training data and command, test metrics (overall,
    per family, the weakest families), calibrated uncertainty when the entry records one, usage and citation.
    """
    from keras_imnn.models.registry import get_spec

    spec, task = get_spec(name), get_task(preset["task"])
    cfg = spec.config
    invariance = f"{preset['invariance']} + periodic shifts (exact)" if preset["invariance"] else "none (baseline)"
    shape = ", ".join(str(s) if s else axis for s, axis in zip(cfg.input_shape[:2], ("Lx", "Ly")))
    lines = [f"# {name}", "", preset["description"], "",
             *_table(("", ""), [
                 ("task", f"`{task.name}`: {task.description}"),
                 ("input → output", f"`(batch, {shape}, 1)` → `(batch, {cfg.outputs})`"),
                 ("parameters", f"{preset['params']:,} (`include_top=False`: {preset['features']} features)"),
                 ("invariance", invariance),
                 ("receptive field", preset["receptive_field"]),
                 ("default dataset", f"`{preset['dataset']}`"),
                 ("checkpoint", f"`{entry['file']}`, sha256 `{entry['sha256'][:16]}…`" if entry else "none yet"),
             ]),
             "", "## Intended use", "", task.intended_use, "",
             "## Validity domain", "",
             preset["validity_domain"] + ".", "",
             f'Outside it the model still answers, with less reason to be trusted: `keras_imnn.predict("{name}", x)` '
             "returns each input's `in_domain` flag and reason beside the prediction and its calibrated `std`, and "
             "warns once per call (`DomainWarning`); physically invalid input is a `ValueError`.", ""]
    if not entry:
        return "\n".join([*lines, "No pretrained checkpoint: `keras_imnn.load(name, weights=None)` builds it.", ""])
    entry = public(entry)
    training = [("dataset", f"`{entry['dataset']}` {entry.get('dataset_version', '')}".rstrip()),
                ("data", entry.get("data", "")),
                ("examples", f"train {entry['n_train']:,}, validation {entry['n_validation']:,}, "
                             f"test {entry['n_test']:,}"),
                ("epochs", entry["epochs_run"]),
                *([("wall time", f"{entry['wall_minutes']:g} min")] if "wall_minutes" in entry else []),
                ("machine", f"{entry['backend']}, {entry['device']}"),
                ("seed, date", f"{entry['seed']}, {entry['date']}")]
    if "initial_weights" in entry:
        training.append(("started from", f"`{entry['initial_weights']['file']}`"))
    lines += ["## Training data", "", *_table(("", ""), training), "", "Command:", "", "```",
              entry["command"], "```", ""]
    refit = entry.get("head_refit")
    if refit and "test_metrics_before" in refit:  # the refit as a script, before fit ran it itself
        before = ", ".join(f"{k} {_number(v)}" for k, v in refit["test_metrics_before"].items())
        lines += [f"Head refit: {refit['how']} (test metrics before: {before}).", ""]
    elif refit:
        lines += [f"Head refit on the exact orbit average: {refit['epochs']} epochs, {refit['seconds']:g} s, loss "
                  f"{_number(refit['loss_before'])} → {_number(refit['loss_after'])}.", ""]
    lines += ["## Test metrics", "", *_table(("metric", "value"), list(entry["test_metrics"].items())), ""]
    by_family = entry.get("test_metrics_by_family")
    if by_family:
        columns = tuple(dict.fromkeys([task.objective[0], *task.summary_metrics]))
        rows = [(family, *(m.get(c, "") for c in columns)) for family, m in sorted(by_family.items())]
        metric, direction = task.objective
        weakest = ", ".join(f"{f} ({metric} {_number(v)})" for f, v in weak_kinds(entry, metric, direction))
        lines += ["### Per family", "", *_table(("family", *columns), rows), "",
                  f"Known weak kinds: {weakest}.", ""]
    uncertainty = entry.get("uncertainty")
    if uncertainty:
        count = len(uncertainty.get("members", [])) or len(uncertainty.get("checkpoints", [])) + 1
        lines += ["## Uncertainty", "", f"{uncertainty['method']}; {count} members, "
                  f'sha256-checked. `keras_imnn.predict("{name}", x).std` is the calibrated std of the error.', ""]
        # Per split (the test split, out-of-distribution cells) and method: the methods compared on the same cells.
        rows = [(split, method, scores["n"], ", ".join(f"{k} {_number(v)}" for k, v in numbers.items()))
                for split, scores in uncertainty.get("metrics", {}).items()
                for method, numbers in scores.items() if isinstance(numbers, dict)]
        if rows:
            lines += [*_table(("cells", "method", "n", "scores"), rows), ""]
    lines += ["## Use", "", "```python", "import keras_imnn",
              f'model = keras_imnn.load("{name}")  # sha256-checked weights, compiled for `{task.name}`',
              f'pred = keras_imnn.predict("{name}", x)  # mean, calibrated std, in_domain, reasons',
              f'tuned, history = keras_imnn.finetune("{name}", x, y)  # on your own data', "```", "",
              "## How to cite", "", f"The method: {PAPER}. The package and its checkpoints: `CITATION.cff` "
              f"in the repository (keras_imnn {__version__}).", ""]
    return "\n".join(lines)


def card(name: str) -> str:
    """The Markdown card of zoo model ``name`` (:func:`model_card` with its preset and manifest entry)."""
    from keras_imnn.models.registry import get_spec, manifest, presets

    spec = get_spec(name)
    return model_card(name, presets(spec.task)[name], manifest().get(name))
