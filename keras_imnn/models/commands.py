"""`keras-imnn list` and `keras-imnn info NAME`."""
from __future__ import annotations

import argparse
import json
import textwrap

from keras_imnn.tasks import TASKS


def _metrics(metrics: dict[str, float] | None) -> str:
    return ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()) if metrics else "no checkpoint yet"


def headline(preset: dict) -> str:
    """The checkpoint's test metrics that the task's tables show (``Task.summary_metrics``), or "no checkpoint"."""
    metrics = preset["test_metrics"]
    if not metrics:
        return "no checkpoint"
    return ", ".join(f"{k} {metrics[k]:.4g}" for k in TASKS[preset["task"]].summary_metrics if k in metrics)


def _print_markdown(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    for row in (header, ("---",) * len(header), *rows):
        print("| " + " | ".join(row) + " |")


def _list(args: argparse.Namespace) -> int:
    from keras_imnn.models.registry import presets

    zoo = presets(args.task)
    if args.verbose:
        for name, p in zoo.items():
            invariance = f"{p['invariance']} + periodic shifts" if p["invariance"] else "none (baseline)"
            print(f"{name} ({p['task']})")
            print(textwrap.fill(p["description"], 100, initial_indent="  ", subsequent_indent="  "))
            print(f"  params {p['params']:,}; include_top=False features {p['features']}; invariance {invariance}; "
                  f"receptive field {p['receptive_field']}")
            version = f" {p['dataset_version']}" if p["dataset_version"] else ""
            print(f"  dataset {p['dataset']}{version}; test metrics: {_metrics(p['test_metrics'])}\n")
        return 0
    rows = [(name, p["task"], f"{p['params']:,}", p["invariance"] or "none (baseline)", p["receptive_field"],
             headline(p), p["dataset"]) for name, p in zoo.items()]
    header = ("name", "task", "params", "invariance group", "receptive field", "test metrics", "dataset")
    if args.markdown:
        _print_markdown(header, rows)
        models_of: dict[str, list[str]] = {}
        for name in zoo:
            models_of.setdefault(zoo[name]["validity_domain"], []).append(name)
        print()
        _print_markdown(("validity domain", "models"),
                        [(domain, ", ".join(names)) for domain, names in models_of.items()])
    else:
        widths = [max(len(r[i]) for r in (header, *rows)) + 2 for i in range(len(header))]
        for row in (header, *rows):
            print("".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


def _info(args: argparse.Namespace) -> int:
    from keras_imnn.models.cards import card, public
    from keras_imnn.models.registry import get_spec, load, manifest

    spec = get_spec(args.name)
    if args.json:
        print(json.dumps(public(manifest().get(spec.name)), indent=2))
        return 0
    print(card(spec.name))
    if args.summary:
        load(spec.name, weights=None).summary()
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the zoo subcommands."""
    p = sub.add_parser("list", help="list the zoo's models (keras_imnn.presets())")
    p.add_argument("--task", choices=tuple(TASKS), help="only this task's models")
    output = p.add_mutually_exclusive_group()
    output.add_argument("--markdown", action="store_true",
                        help="print Markdown tables, with each model's validity domain (as in the README)")
    output.add_argument("-v", "--verbose", action="store_true",
                        help="each model's description, feature width, dataset version and test metrics")
    p.set_defaults(func=_list)
    p = sub.add_parser("info", help="a model's card: intended use, validity domain, training data, test metrics",
                       description="Print the model card of a zoo model (Markdown, as on the docs site).")
    p.add_argument("name", help="a name from `keras-imnn list`")
    output = p.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true",
                        help="the checkpoint's raw manifest entry instead (null without one), machine paths cut "
                             "to file names")
    output.add_argument("--summary", action="store_true", help="also print the Keras layer summary")
    p.set_defaults(func=_info)
