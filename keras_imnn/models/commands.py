"""`keras-imnn list` and `keras-imnn info NAME`."""
from __future__ import annotations

import argparse
import json


def receptive_field_of(spec) -> str:
    """Receptive field of a zoo model, in pixels, as printed in tables."""
    from keras_imnn.layers import receptive_field

    cfg = spec.config
    if cfg.arch == "dense":
        return "whole lattice"
    rf = receptive_field(cfg.kernel_size, cfg.dilations)
    return f"{rf}×{rf}" if cfg.arch == "inv" else f"{rf}×{rf} + pooling"


def _list(args: argparse.Namespace) -> int:
    from keras_imnn.models.registry import SPECS, manifest

    trained = manifest()
    print(f"{'name':<22}{'task':<10}{'group':<8}{'pretrained':<11}default dataset")
    for spec in SPECS:
        if args.task and spec.task != args.task:
            continue
        group = spec.config.group if spec.config.arch == "inv" else "none"
        print(f"{spec.name:<22}{spec.task:<10}{group:<8}{'yes' if spec.name in trained else 'no':<11}"
              f"{spec.dataset}")
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
    p.set_defaults(func=_list)
    p = sub.add_parser("info", help="a model's description, summary and parameter count")
    p.add_argument("name", help="a name from `keras-imnn list`")
    p.set_defaults(func=_info)
