"""One sign model trained on several lattice sizes at once, scored zero-shot on sizes it never saw.

    nice -n 10 python benchmarks/magnet_multisize.py --out out/multisize --ground-state-dir out/gs
    # the 32- and 36-spin test lattices need their ground states first (orbit representatives):
    nice -n 10 python benchmarks/magnet_36_spins.py --shape 8 4 --j2 0.5 --no-save-sector --out out/gs

Square lattice at J2 = 0.5. Every training size (default 4x3, 5x4, 8x3, 6x4: the sizes up to 24 spins that are
not a test size and whose ground-state signs are invariant under translations and the lattice's point group)
gets ``--n-train`` states drawn ∝ |ψ|² (``multisize.size_splits``: exact diagonalization, cached in OUT/data).
``magnet_inv_dilated`` is trained from scratch (``--init-from``: from its 6x4 checkpoint) on all of them, one size
per batch (``multisize.fit_sizes``), into OUT/multisize; with ``--control``, the same architecture, start, settings
and number of states on 6x4 alone into OUT/control_6x4. Each model, and the zoo checkpoints of ``--zoo`` (trained
on 6x4 with 121 687 states), is scored on every test size (``size_transfer``: sign overlap weighted by |ψ|², exact
over the basis up to 30 spins, else on ``--n-drawn`` states drawn ∝ |ψ|²; accuracy on uniform states), beside the
Marshall rule and the constant answer. A test size whose ground state is not in ``--ground-state-dir`` is reported
as missing. Trained models are kept and reused by a rerun; the table goes to stdout and OUT/table.md, the numbers
to OUT/results.json.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

import keras_imnn
from keras_imnn.atomic import atomic_write_text, read_json
from keras_imnn.cli_options import positive_int
from keras_imnn.physics.magnet.ed import spins_to_states
from keras_imnn.physics.magnet.lattices import make_lattice
from keras_imnn.physics.magnet.signs import marshall_signs
from keras_imnn.tasks import get_task
from keras_imnn.training.loop.train import save_run
from keras_imnn.training.multisize import fit_sizes, size_splits
from keras_imnn.training.settings import TrainSettings, add_settings_options
from keras_imnn.training.size_transfer import score_signs, size_test_set


def shape_arg(text: str) -> tuple[int, int]:
    lx, sep, ly = text.partition("x")
    if not (sep and lx.isdigit() and ly.isdigit()):
        raise argparse.ArgumentTypeError(f"a lattice size is LXxLY, e.g. 6x4; got {text!r}")
    return int(lx), int(ly)


def label(shape: tuple[int, int]) -> str:
    return f"{shape[0]}x{shape[1]}"


def train_run(out: Path, shapes: list[tuple[int, int]], n_train: int, args: argparse.Namespace,
              settings: TrainSettings) -> Path:
    """Train ``magnet_inv_dilated`` (from scratch or ``--init-from``) on ``shapes`` into ``out`` (model.keras,
    run.json), unless it is there."""
    if (out / "model.keras").exists():
        print(f"{out}: trained already, reusing it", flush=True)
        return out / "model.keras"
    points = size_splits("square", shapes, args.j2, n_train=n_train, cache_dir=args.out / "data")
    start = time.monotonic()
    start_from = keras_imnn.load(args.init_from) if args.init_from else "magnet_inv_dilated"
    model, history = fit_sizes(start_from, {s: p.train for s, p in points.items()},
                               {s: p.validation for s, p in points.items()}, settings=settings)
    record = {"model": "magnet_inv_dilated", "task": "magnet", "initial_weights": args.init_from,
              "train_sizes": [label(s) for s in shapes],
              "n_train": {label(s): len(p.train) for s, p in points.items()},
              "n_validation": {label(s): len(p.validation) for s, p in points.items()},
              "invariance_violation": {label(s): p.meta["invariance_violation"] for s, p in points.items()},
              "settings": settings.record(), "seed": settings.seed, "epochs_run": len(history.history["loss"]),
              "wall_minutes": round((time.monotonic() - start) / 60, 2),
              "own_test": {label(s): score_own(model, p) for s, p in points.items()}}
    save_run(out, model, record, history.history)
    print(f"{out}: {json.dumps({k: record[k] for k in ('n_train', 'epochs_run', 'wall_minutes', 'own_test')})}",
          flush=True)
    return out / "model.keras"


def score_own(model: keras.Model, point) -> dict[str, float]:
    """The project's test metrics on a training size's own test split (uniform states; overlap by their |ψ|²)."""
    from keras_imnn.training.loop.evaluation import evaluate_arrays

    return {k: round(float(v), 4) for k, v in evaluate_arrays(model, point.test, get_task("magnet")).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--train-shapes", nargs="+", type=shape_arg, default=[(4, 3), (5, 4), (8, 3), (6, 4)])
    parser.add_argument("--test-shapes", nargs="+", type=shape_arg, default=[(4, 4), (8, 4), (6, 6)])
    parser.add_argument("--j2", type=float, default=0.5)
    parser.add_argument("--n-train", type=positive_int, default=5000,
                        help="states per training size, drawn ∝ |ψ|² (at most half the basis)")
    parser.add_argument("--control", action="store_true",
                        help="also train on 6x4 alone with as many states as all training sizes together")
    parser.add_argument("--init-from", choices=["magnet_inv_dilated"],
                        help="start from this zoo checkpoint's weights instead of from scratch")
    parser.add_argument("--zoo", nargs="*", default=["magnet_inv", "magnet_inv_dilated"])
    add_settings_options(parser, defaults={"epochs": 8, "patience": 3, "batch_size": 64, "max_minutes": 20.0})
    parser.add_argument("--n-drawn", type=positive_int, default=10_000)
    parser.add_argument("--n-uniform", type=positive_int, default=5000)
    parser.add_argument("--ground-state-dir", default="out/gs")
    args = parser.parse_args()
    settings = TrainSettings.from_args(args, verbose=2)

    models = {name: (f"{name} (zoo, 6x4)", lambda name=name: keras_imnn.load(name)) for name in args.zoo}
    multi = train_run(args.out / "multisize", args.train_shapes, args.n_train, args, settings)
    models["multisize"] = (f"magnet_inv_dilated on {' + '.join(map(label, args.train_shapes))}",
                           lambda: keras.models.load_model(multi, compile=False))
    if args.control:
        n_states = sum(read_json(multi.parent / "run.json")["n_train"].values())
        control = train_run(args.out / "control_6x4", [(6, 4)], round(n_states / 0.9), args, settings)
        models["control_6x4"] = ("magnet_inv_dilated on 6x4 alone, as many states",
                                 lambda: keras.models.load_model(control, compile=False))

    models["marshall"] = ("Marshall rule (reference)", None)
    models["constant"] = ("constant answer: all positive (reference)", None)
    results: dict[str, dict[str, dict]] = {key: {} for key in models}
    descriptions = {}
    for shape in args.test_shapes:
        try:
            test = size_test_set("square", shape, args.j2, n_drawn=args.n_drawn, n_uniform=args.n_uniform,
                                 ground_state_dir=args.ground_state_dir)
        except ValueError as err:
            print(f"{label(shape)}: skipped: {err}", flush=True)
            descriptions[label(shape)] = f"missing: {err}"
            continue
        descriptions[label(shape)] = test.description
        lattice = make_lattice("square", shape)
        rules = {"marshall": lambda x, lattice=lattice: marshall_signs(spins_to_states(x.astype("uint8")), lattice),
                 "constant": lambda x: np.zeros(len(x), np.int64)}
        for key, (_, load) in models.items():
            results[key][label(shape)] = score_signs(rules[key] if key in rules else load(), test)
            print(f"{label(shape)} {key}: {results[key][label(shape)]}", flush=True)

    def cell(score: dict | None) -> str:
        if score is None:
            return "n/a"
        se = f" ± {score['sign_overlap_se']:.3f}" if "sign_overlap_se" in score else ""
        return f"{score['sign_overlap']:.3f}{se} / {score['accuracy']:.3f}"

    shapes = [label(s) for s in args.test_shapes]
    lines = ["| model | " + " | ".join(f"{s}: overlap / accuracy" for s in shapes) + " |",
             "|---|" + "---|" * len(shapes)]
    lines += [f"| {title} | " + " | ".join(cell(results[key].get(s)) for s in shapes) + " |"
              for key, (title, _) in models.items()]
    table = "\n".join(lines + ["", *(f"- {s}: {d}" for s, d in descriptions.items())])
    print("\n" + table)
    atomic_write_text(args.out / "table.md", table + "\n")
    atomic_write_text(args.out / "results.json", json.dumps({"settings": settings.record(), "j2": args.j2,
                                                            "train_shapes": [label(s) for s in args.train_shapes],
                                                            "n_train": args.n_train, "tests": descriptions,
                                                            "scores": results}, indent=1))


if __name__ == "__main__":
    main()
