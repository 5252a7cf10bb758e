"""The paper's data-scarce comparison: plain CNN vs invariant vs invariant multiscale.

    # photonic: learning curves over training sizes (TFDS, or cells from `keras-imnn generate`)
    python benchmarks/compare_models.py photonic --npz data/photonic_gapped_n6000_seed0.npz \\
        --sizes 100 200 400 800 1600 --seeds 0 1 2 --out docs/comparison_photonic
    # magnet: sign classification at train fraction ε (the dataset config fixes ε)
    python benchmarks/compare_models.py magnet --dataset frustrated_magnets/square_6x4_j2_0.5 \\
        --seeds 0 1 2 --out docs/comparison_magnet
    # a lattice whose point group permutes sublattices (kagome): its symmetries as site permutations
    keras-imnn generate magnet --lattice kagome --shape 2 3 --j2 0.5 --out data/kagome_2x3_j2_0.5
    python benchmarks/compare_models.py magnet --npz-dir data/kagome_2x3_j2_0.5 --variants lattice \
        --seeds 0 1 2 --out docs/comparison_magnet_kagome_2x3_j2_0.5
    # dilation stacks of the multiscale model, either task
    python benchmarks/compare_models.py photonic --npz ... --variants dilations --out docs/dilations_photonic
    # band edges on cells without point symmetry (is exact D4 invariance worth more than
    # augmentation where it is not trivial?); cells from `keras-imnn generate photonic --config general`
    python benchmarks/compare_models.py photonic_edges --npz data/photonic_general_n20000_seed0.npz \\
        --symmetry-free --n-test 3400 --n-validation 1000 --sizes 100 200 400 800 1600 3200 --seeds 0 1 2 \\
        --validate-every 5 --metrics median_rel_err mae tm_bands_1_4_median_rel_err te_bands_1_4_median_rel_err \\
        --out docs/comparison_edges_symmetry_free

Each run trains from scratch (same seeds for every model) and is scored on the fixed test split.
Results are appended to OUT/results.json as they finish (a rerun on the same data, which OUT/data.txt
records, and with the same training options skips finished runs); at the end a Markdown table (mean ±
std over seeds) is written to OUT/table.md and a plot to OUT/curves.png (learning curves, log-log for
the error metrics); ``--table-only`` redraws both from every run in OUT/results.json. To use several cores,
run processes split by ``--only``, each with its own --out, then ``--merge`` their folders into one OUT.

``--symmetry-free`` keeps only the cells that no point-group element but the identity maps onto a periodic
shift of themselves (``keras_imnn.training.data.splits.symmetry_free``), in every split after it is made (the
test split stays the first --n-test cells, less their symmetric ones), and prints how many remain.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from keras_imnn.atomic import atomic_write_text, read_json
from keras_imnn.cli_options import (
    add_group_option,
    positive_float,
    positive_int,
    seed_int,
)
from keras_imnn.tasks import TASKS, Task, Variant
from keras_imnn.training.data.task_data import add_data_options, task_data_from_args
from keras_imnn.training.experiments.comparison import merge_runs, plot_comparison, run_variants, summarize, with_group
from keras_imnn.training.settings import TrainSettings, add_settings_options

DILATION_STACKS = ([1, 1, 1], [1, 2, 3], [3, 2, 1], [2, 2, 2], [1, 2, 4, 8])


def variants_of(task: Task, kind: str, lattice: str | None = None, x_shape: tuple[int, ...] = ()) -> list[Variant]:
    """The task's zoo baselines ("models"), its multiscale model with each of ``DILATION_STACKS``, or ("lattice")
    the baselines on the data's ``lattice`` with its own symmetries (site permutations of ``x_shape``'s
    ``(L1, L2, k)``): the CNN augmented by them, the multiscale trunk with shifts only and averaged over them."""
    if kind == "models":
        return list(task.baselines)
    if kind == "lattice":
        fixed = {"input_shape": tuple(x_shape[1:])}
        return [(f"{task.name}_dense", f"{task.name}_dense", False, {}),
                (f"{task.name}_cnn", f"{task.name}_cnn", False, {}),
                (f"{task.name}_cnn + {lattice} aug", f"{task.name}_cnn", lattice, {}),
                (f"{task.name}_inv_dilated shifts", f"{task.name}_inv_dilated", False, {**fixed, "group": None}),
                (f"{task.name}_inv_dilated {lattice}", f"{task.name}_inv_dilated", False, {**fixed, "group": lattice})]
    name = f"{task.name}_inv_dilated"
    return [(f"{name} {d}", name, False, {"dilations": d}) for d in DILATION_STACKS]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="compare_models.py", description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=tuple(TASKS))
    add_data_options(parser)
    add_group_option(parser)
    parser.add_argument("--symmetry-free", action="store_true",
                        help="only cells without point symmetry (the group of --group, default d4), in every split")
    parser.add_argument("--variants", choices=("models", "dilations", "lattice"), default="models",
                        help="the task's baselines, the dilation stacks, or the baselines with the data's own "
                             "lattice symmetries (magnet data whose lattice has several sites a cell, e.g. kagome)")
    parser.add_argument("--only", nargs="+", metavar="LABEL",
                        help="run only these variants (labels as in the table, e.g. magnet_inv)")
    parser.add_argument("--sizes", type=positive_int, nargs="*", default=[],
                        help="training sizes (default: the whole train split)")
    parser.add_argument("--seeds", type=seed_int, nargs="+", default=[0, 1, 2])
    add_settings_options(parser, exclude=("seed",))  # --seeds: one run each
    parser.add_argument("--metrics", nargs="+", metavar="METRIC",
                        help="table columns and plot panels: test metrics of the task's score (default: the task's "
                             "objective, then its summary metrics)")
    parser.add_argument("--total-minutes", type=positive_float, default=None,
                        help="start no new run after this many minutes of the whole job (finished runs are kept; "
                             "rerun to resume); --max-minutes bounds each run")
    parser.add_argument("--table-only", action="store_true",
                        help="train nothing: rewrite OUT/table.md and OUT/curves.png from every run in "
                             "OUT/results.json (e.g. runs of several settings, or merged from processes that "
                             "split the variants)")
    parser.add_argument("--merge", nargs="+", metavar="DIR",
                        help="first add the finished runs of these --out folders (same data, e.g. processes that "
                             "split the variants by --only, one --out each) to OUT/results.json")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    deadline = time.monotonic() + 60 * args.total_minutes if args.total_minutes else None

    task = TASKS[args.task]
    data = task_data_from_args(args, task)
    if args.symmetry_free:
        data = data.symmetry_free(args.group or "d4")
        kept = data.source.rpartition("; ")[2]
        print(kept)
        if not (len(data.train) and len(data.validation) and len(data.test)):
            parser.error(f"--symmetry-free left an empty split ({kept}): more cells, or larger --n-test / "
                         "--n-validation")
    train, test, source = data.train, data.test, data.source
    clipped = [n for n in args.sizes if n > len(train)]
    if clipped:
        print(f"sizes {clipped} exceed the {len(train)} training examples: they run on all of them")
    metrics = list(dict.fromkeys(args.metrics or [task.objective[0], *task.summary_metrics]))
    known = task.score(test.y[:8], test.y[:8], None if test.weight is None else test.weight[:8])  # its keys
    if set(metrics) - set(known):
        parser.error(f"unknown --metrics {sorted(set(metrics) - set(known))}; the task's: {sorted(known)}")
    lattice = data.lattice
    if args.variants == "lattice" and lattice is None:
        parser.error("--variants lattice needs data that record their lattice (magnet data)")
    variants = all_variants = variants_of(task, args.variants, lattice and lattice[0], train.x.shape)
    if args.only:
        unknown = set(args.only) - {label for label, *_ in variants}
        if unknown:
            parser.error(f"unknown --only {sorted(unknown)}; choose from {[label for label, *_ in variants]}")
        variants = [v for v in variants if v[0] in args.only]
    variants = with_group(variants, args.group)
    try:
        for _, name, augment, overrides in variants:
            data.check_model(name, overrides, augment)
    except ValueError as err:
        parser.error(str(err))
    out = Path(args.out)
    # results.json keys runs by (variant, n_train, seed) only: runs on other data must not stand in for these.
    data_file = out / "data.txt"
    if data_file.exists() and data_file.read_text().strip() != source:
        parser.error(f"{out} holds runs on other data ({data_file.read_text().strip()}); now: {source}. "
                     "Use another --out")
    if args.merge:
        runs = [read_json(out / "results.json", [])]
        for folder in map(Path, args.merge):
            theirs = folder / "data.txt"
            their_source = theirs.read_text().strip() if theirs.is_file() else "missing"
            if their_source != source:
                parser.error(f"--merge {folder}: not a comparison on these data ({source}); its {theirs.name}: "
                             f"{their_source}")
            runs.append(read_json(folder / "results.json"))
        try:
            merged = merge_runs(*runs)
        except ValueError as err:
            parser.error(f"--merge: {err}")
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(data_file, source + "\n")
        atomic_write_text(out / "results.json", json.dumps(merged, indent=1))
        print(f"{len(merged)} runs in {out / 'results.json'}")
    if args.table_only:  # refused before anything is written into --out
        if not (out / "results.json").exists():
            parser.error(f"--table-only: {out / 'results.json'} does not exist; run the comparison first")
        results = read_json(out / "results.json")
    else:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(data_file, source + "\n")
        results = run_variants(variants, data, sizes=args.sizes or [None], seeds=args.seeds,
                               settings=TrainSettings.from_args(args), results_path=out / "results.json",
                               deadline=deadline, info={"data": source})
    if not results:  # a table and a plot of nothing would fail in matplotlib
        parser.error(f"no finished runs in {out / 'results.json'} to table (rerun without --table-only, or "
                     "with more --total-minutes)")
    table, stats = summarize(results, task, order=[label for label, *_ in all_variants], metrics=metrics)
    atomic_write_text(out / "table.md", table)
    plot_comparison(stats, task, out / "curves.png")
    print(table)

