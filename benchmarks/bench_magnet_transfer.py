"""Transfer of a sign model to other lattices: zero-shot sign overlap, and after fine-tuning on a few states.

    PYTHONPATH=. python benchmarks/bench_magnet_transfer.py MODEL [--test square:4x6:0.5 square:4x4:0.5 ...]
        [--group d4] [--finetune-states 1000] [--freeze trunk none] [--epochs 100] [--patience 10]
        [--eval-states 20000] [--seed 0] [--cache-dir data/transfer_ed] [--out docs/transfer_MODEL.json]

MODEL is a zoo name (its pretrained checkpoint), a run folder of ``keras-imnn train`` (model.keras) or a
.keras file. ``--group`` rebuilds a zoo model with another point group and loads its checkpoint file into it
(the manifest's config check is skipped on purpose: e.g. the D2-trained magnet checkpoints averaged over D4 at
inference); the table says so.

Test lattices are ``lattice:LxxLy:J2`` (default: the training lattice square 6x4 at J2 = 0.5, its 90°-rotated
copy 4x6, 4x4 and 6x4 at J2 = 0). The protocol (fine-tuning states, "others", exact or drawn overlaps, the group
check) is ``keras_imnn.training.experiments.transfer``'s; ``--freeze`` picks its fine-tuning modes. Above 30
spins (6x6) the ground state is read from ``--ground-state-dir`` (the ``--out`` of
``benchmarks/magnet_36_spins.py``). ``--cache-dir`` keeps each ground state (states and amplitudes, 42 MB at 24
spins) for the next model.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras

from keras_imnn.atomic import atomic_write_text
from keras_imnn.cli_options import point_group, positive_int
from keras_imnn.physics.magnet.sampling import MAX_EXPANDED_SITES
from keras_imnn.training.experiments.generalization import point_label
from keras_imnn.training.experiments.transfer import FREEZES, ModelSource, markdown, run_lattice
from keras_imnn.training.settings import FINETUNE_DEFAULTS, TrainSettings, add_settings_options

DEFAULT_TESTS = ("square:6x4:0.5", "square:4x6:0.5", "square:4x4:0.5", "square:6x4:0")


def parse_lattice(text: str) -> tuple[str, tuple[int, int], float]:
    """``"square:4x6:0.5"`` → ("square", (4, 6), 0.5)."""
    match = re.fullmatch(r"(\w+):(\d+)x(\d+):([-+0-9.eE]+)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"a test lattice is lattice:LxxLy:J2, e.g. square:4x6:0.5; got {text!r}")
    return match[1], (int(match[2]), int(match[3])), float(match[4])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="zoo name (pretrained), run folder or .keras file")
    parser.add_argument("--test", nargs="+", type=parse_lattice, default=[parse_lattice(t) for t in DEFAULT_TESTS],
                        metavar="LATTICE:LxxLy:J2", help=f"test lattices (default: {' '.join(DEFAULT_TESTS)})")
    parser.add_argument("--group", type=point_group,
                        help="rebuild the zoo model with this point group and load its checkpoint file")
    parser.add_argument("--finetune-states", type=positive_int, default=1000)
    parser.add_argument("--freeze", nargs="*", choices=FREEZES, default=list(FREEZES),
                        help="fine-tuning modes (none given: zero-shot only)")
    add_settings_options(parser, defaults=FINETUNE_DEFAULTS)
    parser.add_argument("--eval-states", type=positive_int, default=20000)
    parser.add_argument("--cache-dir", help="keep the ground states here (npz) for the next run")
    parser.add_argument("--ground-state-dir", default="out/magnet_36",
                        help=f"where benchmarks/magnet_36_spins.py wrote the ground states of lattices above "
                             f"{MAX_EXPANDED_SITES} spins (its --out)")
    parser.add_argument("--out", help="JSON file (default: transfer_<model>.json in the working directory)")
    args = parser.parse_args()

    try:
        source = ModelSource(args.model, args.group)
    except ValueError as err:
        raise SystemExit(str(err)) from None
    settings = TrainSettings.from_args(args, verbose=0)
    out = Path(args.out or f"transfer_{Path(args.model).stem}{'_' + args.group if args.group else ''}.json")
    start = time.perf_counter()
    records = []
    for spec in args.test:
        try:
            records.append(run_lattice(source, spec, freezes=args.freeze, settings=settings,
                                       finetune_states=args.finetune_states, eval_states=args.eval_states,
                                       seed=args.seed, cache_dir=args.cache_dir,
                                       ground_state_dir=args.ground_state_dir))
        except FileNotFoundError as err:  # a 36-spin ground state not made yet: the message names the command
            raise SystemExit(str(err)) from None
        print(f"{point_label(*spec)}: {json.dumps({k: v for k, v in records[-1].items() if k != 'train'})}",
              flush=True)
    table = markdown(records, args.freeze, args.finetune_states)
    print(f"\n{source.label}, trained on {source.trained_on}\n\n{table}\n\ntotal {time.perf_counter() - start:.0f} s")
    result = {"model": args.model, "label": source.label, "trained_on": source.trained_on, "config": source.config,
              "settings": {k: v for k, v in vars(args).items() if k not in ("model", "test")},
              "backend": keras.backend.backend(), "records": records, "table": table}
    atomic_write_text(out, json.dumps(result, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
