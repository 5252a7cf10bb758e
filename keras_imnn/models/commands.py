"""`keras-imnn list` and `keras-imnn info NAME`."""
from __future__ import annotations

import argparse
import json

from keras_imnn.models.zoo import ModelSpec


def receptive_field_of(spec: ModelSpec) -> str:
    """Receptive field of a zoo model, in pixels, as printed in tables."""
    from keras_imnn.layers import receptive_field

    cfg = spec.config
    if cfg.arch != "inv":
        return "whole input (flatten + dense)"
    rf = receptive_field(cfg.kernel_size, cfg.dilations)
    return f"{rf}×{rf}"


def _list(args: argparse.Namespace) -> int:
    from keras_imnn.models.registry import SPECS, build_model, manifest

    trained = manifest()
    rows = []
    for spec in SPECS:
        if args.task and spec.task != args.task:
            continue
        cfg = spec.config
        rows.append((spec.name, spec.task, f"{build_model(cfg).count_params():,}",
                     (cfg.group or "none") if cfg.arch == "inv" else "none (baseline)",
                     receptive_field_of(spec), "yes" if spec.name in trained else "no", spec.dataset))
    header = ("name", "task", "params", "invariance group", "receptive field", "pretrained",
              "default dataset")
    if args.markdown:
        for row in (header, ("---",) * len(header), *rows):
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(r[i]) for r in (header, *rows)) + 2 for i in range(len(header))]
        for row in (header, *rows):
            print("".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


def _info(args: argparse.Namespace) -> int:
    from keras_imnn.models.registry import build_model, get_spec, manifest

    spec = get_spec(args.name)
    model = build_model(spec.config, name=spec.name)
    print(f"{spec.name} ({spec.task}; default dataset {spec.dataset})\n")
    print(spec.description + "\n")
    model.summary()
    print(f"\nparameters: {model.count_params():,}")
    print(f"receptive field: {receptive_field_of(spec)}")
    print("config: " + json.dumps(spec.config.to_dict()))
    entry = manifest().get(spec.name)
    print("pretrained: " + (json.dumps(entry, indent=2) if entry else "no checkpoint yet"))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the zoo subcommands."""
    p = sub.add_parser("list", help="list the zoo's model names")
    p.add_argument("--task", choices=("photonic", "magnet"), help="only this task's models")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table (as in the README)")
    p.set_defaults(func=_list)
    p = sub.add_parser("info", help="a model's description, summary and parameter count")
    p.add_argument("name", help="a name from `keras-imnn list`")
    p.set_defaults(func=_info)
