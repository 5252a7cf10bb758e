"""Sign generalization across J2 (Westerhout et al., Nat. Commun. 11, 1593 (2020)).

    python benchmarks/magnet_generalization.py --out docs/magnet_generalization \\
        --epochs 8 --patience 4 --batch-size 64 --epochs-per-model magnet_dense=50 --total-minutes 240
    # a quick end-to-end check (~5 min on 2 cores)
    python benchmarks/magnet_generalization.py --out /tmp/mg --lattices square --j2 0 0.5 \\
        --models magnet_dense magnet_inv_dilated --seeds 1 --epochs 2

For every lattice (6×4: square at J2 = 0, 0.1, …, 1.0; anisotropic triangular at J2 = 0, 0.2, …, 1.4)
the ground state is diagonalized and its basis split as `keras-imnn generate magnet` splits it: train =
ε = 1 % of the Sz = 0 basis drawn ∝ |ψ|² (10 % of it held out for early stopping), test = 5 000
uniform states from the rest. Ground state and splits are cached in OUT/data/ (one .npz per point).
Every model trains from scratch at every J2 with the same settings, seeds 0 .. K−1 (K per model,
--seeds-per-model; the splits stay those of --split-seed), invariant models averaging over the
lattice's point group (d2 on square 6×4, c2 on triangular 6×4). Runs go seed-major (a scan cut by
--total-minutes has the first seeds everywhere) and are appended to OUT/results.json as they finish; a
rerun skips finished runs. At the end: OUT/<lattice>.png (sign overlap and accuracy vs J2, mean ± std
over seeds, one line per model; the ground state's Marshall-sign violation beside) and OUT/table.md.
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_imnn.atomic import atomic_write_text
from keras_imnn.training.experiments.generalization import (
    SCAN_J2,
    SCAN_MODELS,
    plot_scan,
    run_scan,
    scan_point,
    scan_runs,
    scan_tables,
)
from keras_imnn.training.settings import TrainSettings, add_settings_options

DEFAULT_SEEDS = {"magnet_dense": 3, "magnet_cnn": 1, "magnet_inv": 1, "magnet_inv_dilated": 3}


def _per_model(pairs: list[str], option: str, parser: argparse.ArgumentParser) -> dict[str, int]:
    out = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if not value.isdigit():
            parser.error(f"{option} takes MODEL=INTEGER pairs, got {pair!r}")
        out[name] = int(value)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lattices", nargs="+", choices=tuple(SCAN_J2), default=list(SCAN_J2))
    parser.add_argument("--shape", type=int, nargs=2, default=(6, 4), metavar=("LX", "LY"))
    parser.add_argument("--j2", type=float, nargs="+", help="J2 values for every lattice (default: the "
                        "issue's, square 0..1 by 0.1, triangular 0..1.4 by 0.2)")
    parser.add_argument("--models", nargs="+", default=list(SCAN_MODELS), choices=SCAN_MODELS)
    parser.add_argument("--seeds-per-model", nargs="*", default=[], metavar="MODEL=K",
                        help="seeds 0..K-1 for MODEL (default: "
                        + " ".join(f"{k}={v}" for k, v in DEFAULT_SEEDS.items())
                        + "; --seeds overrides the default for every model not named here)")
    parser.add_argument("--seeds", type=int, help="seeds per model for the models not in --seeds-per-model")
    add_settings_options(parser, defaults={"epochs": 8, "patience": 4, "batch_size": 64}, exclude=("seed",))
    parser.add_argument("--epochs-per-model", nargs="*", default=[], metavar="MODEL=E",
                        help="another epoch budget for MODEL (e.g. more for the cheap magnet_dense)")
    parser.add_argument("--train-fraction", type=float, default=0.01, help="ε (default 0.01, as the paper)")
    parser.add_argument("--test-size", type=int, default=5000)
    parser.add_argument("--split-seed", type=int, default=0)
    parser.add_argument("--total-minutes", type=float, help="start no new run after this long (rerun to resume)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    start = time.monotonic()
    deadline = start + 60 * args.total_minutes if args.total_minutes else None

    named = _per_model(args.seeds_per_model, "--seeds-per-model", parser)
    epochs = _per_model(args.epochs_per_model, "--epochs-per-model", parser)
    unknown = sorted(set(named) - set(args.models)) + sorted(set(epochs) - set(args.models))
    if unknown:
        parser.error(f"--seeds-per-model / --epochs-per-model name models not in --models: {unknown}")
    seeds = {m: named.get(m, args.seeds if args.seeds is not None else DEFAULT_SEEDS.get(m, 1)) for m in args.models}
    base = TrainSettings.from_args(args, verbose=0)
    settings = {m: replace(base, epochs=epochs.get(m, args.epochs)) for m in args.models}
    shape = tuple(args.shape)
    points = [(lattice, shape, float(j2)) for lattice in args.lattices for j2 in (args.j2 or SCAN_J2[lattice])]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def load(point):
        return scan_point(*point, train_fraction=args.train_fraction, test_size=args.test_size,
                          split_seed=args.split_seed, cache_dir=out / "data")

    def data(point):
        lattice, shape, j2 = point
        t = time.monotonic()
        d = load(point)
        print(f"data {lattice} {shape[0]}x{shape[1]} J2={j2:g}: {len(d.train)} train, {len(d.validation)} "
              f"validation, {len(d.test)} test ({time.monotonic() - t:.1f} s; ED and split {d.meta['seconds']} s "
              f"when computed)", flush=True)
        return d

    print(f"{len(points)} points x {seeds} = {len(scan_runs(points, seeds))} runs; settings "
          + ", ".join(f"{m}: {s.record()}" for m, s in settings.items()), flush=True)
    results = run_scan(points, seeds, data, settings=settings.__getitem__, results_path=out / "results.json",
                       deadline=deadline, log=lambda line: print(line, flush=True))
    # Every point's ground-state quantities, for the plots' Marshall panel (cached: ED only if never run).
    metas = {p: load(p).meta for p in points}
    ours = [r for r in results if (r["lattice"], tuple(r["shape"]), float(r["j2"])) in metas]
    table = scan_tables(ours, metas, args.models)
    atomic_write_text(out / "table.md", table)
    for lattice in args.lattices:
        plot_scan(ours, metas, lattice, out / f"{lattice}.png", args.models,
                  title=f"{lattice} {shape[0]}×{shape[1]}: ε = {args.train_fraction:g} drawn ∝ |ψ|², "
                        f"{args.test_size} uniform test states")
    print(table)
    trained = sum(r.get("seconds", 0) for r in ours)
    print(f"wrote {out}/table.md and {', '.join(f'{out}/{lat}.png' for lat in args.lattices)}; "
          f"this call {(time.monotonic() - start) / 60:.1f} min, runs in results {trained / 60:.1f} min of training")


if __name__ == "__main__":
    main()
