"""`keras-imnn nas`: search the conv stack of an invariant zoo model, then re-train the winners."""
from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from keras_imnn.cli_options import (
    add_group_option,
    nonnegative_int,
    positive_float,
    positive_int,
    seed_int,
)

if TYPE_CHECKING:
    from keras_imnn.training.data.task_data import TaskData


def _nas(args: argparse.Namespace) -> int:
    from keras_imnn.atomic import output_lock
    from keras_imnn.models.registry import get_spec
    from keras_imnn.tasks import get_task
    from keras_imnn.training.data.task_data import task_data_from_args

    spec = get_spec(args.name)
    task = get_task(spec.task)
    if args.n_train is None:
        args.n_train = task.scarce_n_train
    if args.retrain_only and not args.retrain_top:
        raise ValueError("--retrain-only needs --retrain-top K")
    data = task_data_from_args(args, task, args.seed, spec.dataset,
                               models=[(args.name, {"group": args.group} if args.group else {})])
    with output_lock(args.out):  # a second search into the same --out is refused, not raced
        return _search(args, data)


def _search(args: argparse.Namespace, data: TaskData) -> int:
    """The search (on ``data.train``'s pool) and the re-training of its winners, under ``--out``'s lock."""
    from keras_imnn.search import compare, dilations
    from keras_imnn.training.settings import TrainSettings

    search = Path(args.out)
    settings = TrainSettings.from_args(args)
    if not args.retrain_only:
        overrides = {"group": args.group} if args.group else {}
        search = dilations(data.train.take(args.n_train, args.seed), data.validation, base=args.name,
                           max_layers=args.max_layers, max_dilation=args.max_dilation, widths=tuple(args.widths),
                           kernel_sizes=tuple(args.kernel_sizes), budget=args.budget, algorithm=args.algorithm,
                           seeds=tuple(args.seeds), settings=settings, seed=args.seed,
                           top=max(args.top, args.retrain_top), out=args.out, resume=args.resume,
                           total_minutes=args.total_minutes, verbose=1, info={"data": data.source}, **overrides)
        print(json.dumps({"start": search.record["start"], "top": search.top[:args.top],
                          **{k: str(v) for k, v in search.paths.items()}}, indent=1))
    if args.retrain_top:
        runs = Path(args.out) / "retrain" / "comparison.json"
        if not (args.resume or args.retrain_only):  # a new search: an earlier one's winners would mix in
            runs.unlink(missing_ok=True)
        comparison = compare(search, data, top=args.retrain_top, seeds=args.retrain_seeds,
                             n_train=args.n_train, baselines=not args.no_baselines,
                             settings=replace(settings, epochs=args.retrain_epochs or args.epochs), out=runs.parent)
        print(comparison.table)
        print(json.dumps({k: str(v) for k, v in comparison.paths.items()}, indent=1))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `nas`."""
    from keras_imnn.training.data.task_data import add_data_options
    from keras_imnn.training.settings import add_settings_options

    p = sub.add_parser("nas", help="architecture search (keras-tuner) over the conv stack of an invariant model",
                       description="Search the number of periodic conv layers, their dilations, width, kernel "
                       "size and residual on/off of an invariant zoo model on a small training set, starting "
                       "at the model's own stack; the objective is the validation metric averaged over --seeds. "
                       "Writes OUT/search.json and OUT/search.png; with --retrain-top K the K best configurations "
                       "are re-trained with --retrain-seeds and compared with the zoo on the test split "
                       "(OUT/retrain/).")
    p.add_argument("name", help="an invariant zoo model: photonic_inv_dilated, magnet_inv_dilated, ...")
    add_data_options(p, n_validation=500)
    p.add_argument("--n-train", type=positive_int,
                   help="training examples, the data-scarce setting (default: 400 photonic cells, 2 000 magnet states)")
    p.add_argument("--budget", type=positive_int, default=50, help="number of trials")
    p.add_argument("--algorithm", default="bayesian", choices=("bayesian", "hyperband"))
    p.add_argument("--seeds", type=seed_int, nargs="+", default=[0, 1], help="training seeds per trial (>= 2)")
    add_settings_options(p, defaults={"epochs": 60, "patience": 10},
                         helps={"epochs": "epochs per trial (Hyperband: its max_epochs; default: %(default)s)",
                                "seed": "seed of the search and of the training subset"})
    p.add_argument("--max-layers", type=positive_int, default=4)
    p.add_argument("--max-dilation", type=positive_int, help="default: lcm(H, W) // 2, the largest distinct one")
    p.add_argument("--widths", type=positive_int, nargs="+", default=[16, 32])
    p.add_argument("--kernel-sizes", type=positive_int, nargs="+", default=[3, 5])
    add_group_option(p)
    p.add_argument("--top", type=positive_int, default=5, help="best distinct configurations to report")
    p.add_argument("--total-minutes", type=positive_float,
                   help="start no new trial (nor re-training run) after this many minutes of the whole job; "
                        "--max-minutes bounds each training run")
    p.add_argument("--resume", action="store_true",
                   help="continue the search (and the re-training) saved in --out; without it, --out starts afresh")
    p.add_argument("--retrain-top", type=nonnegative_int, default=0, help="re-train the K best on the test split")
    p.add_argument("--retrain-only", action="store_true",
                   help="skip the search: re-train the winners of the search.json in --out (resumes the runs "
                        "given the same training options)")
    p.add_argument("--retrain-seeds", type=seed_int, nargs="+", default=[0, 1, 2])
    p.add_argument("--retrain-epochs", type=positive_int, help="epochs of the re-training (default: --epochs)")
    p.add_argument("--no-baselines", action="store_true", help="re-train the winners only, not the zoo models")
    p.add_argument("--out", required=True, help="directory for search.json, search.png, tuner/ and retrain/")
    p.set_defaults(func=_nas)
