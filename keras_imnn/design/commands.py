"""`keras-imnn design`: a photonic crystal with the widest gap, designed through the surrogate, solver-checked."""
from __future__ import annotations

import argparse
import json

from keras_imnn.cli_options import nonnegative_int, positive_float, positive_int, seed_int
from keras_imnn.design.objectives import POLARIZATIONS

OUTPUTS = ("cell.npz", "cell.png", "bands.png", "history.png", "design.json")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``design``."""
    p = sub.add_parser(
        "design", help="inverse-design a photonic crystal through the surrogate, verified by the solver",
        description="Maximize a band gap of a two-tone 32×32 cell by gradients through a zoo surrogate (density "
                    "filter, β projection, several starts), label the designs with the solver and fine-tune the "
                    "surrogate until its prediction agrees with the solver. Writes OUT/" + ", OUT/".join(OUTPUTS)
                    + ".")
    p.add_argument("--eps", type=positive_float, nargs=2, default=(1.0, 12.0), metavar=("MIN", "MAX"),
                   help="permittivities of the two materials, within [1, 20] (default 1 12)")
    p.add_argument("--polarization", default="tm", choices=POLARIZATIONS, help="both = a complete gap (default tm)")
    p.add_argument("--bands", type=positive_int, nargs=2, default=(1, 2), metavar=("B", "B+1"),
                   help="the band pair, b in 1..7 (default 1 2)")
    p.add_argument("--target-frequency", type=positive_float, default=None,
                   help="centre the gap at this ωa/2πc")
    p.add_argument("--min-feature", type=positive_float, default=None,
                   help="minimum feature size of both materials in pixels (checked on the binary cell)")
    p.add_argument("--no-symmetry", action="store_true", help="free designs instead of D4-symmetric ones")
    p.add_argument("--model", default=None,
                   help="zoo surrogate (default: photonic_inv_dilated for TM 1-2, else photonic_edges_inv_dilated)")
    p.add_argument("--starts", type=positive_int, default=4, help="designs optimized side by side (default 4)")
    p.add_argument("--steps", type=positive_int, default=30, help="Adam steps per β stage (default 30)")
    p.add_argument("--rounds", type=positive_int, default=4,
                   help="at most this many rounds of design → solver labels → fine-tuning (default 4)")
    p.add_argument("--replay", type=nonnegative_int, default=16,
                   help="training-like cells added to each fine-tuning (default 16)")
    p.add_argument("--neighbours", type=nonnegative_int, default=8,
                   help="variants of the best design labelled before each fine-tuning (default 8)")
    p.add_argument("--seed", type=seed_int, default=0, help="seed of the starts (default 0)")
    p.add_argument("--out", required=True, help="output folder (new or empty, else --overwrite)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out folder (all of it)")
    p.set_defaults(func=_design)


def _design(args: argparse.Namespace) -> int:
    import numpy as np

    from keras_imnn.atomic import atomic_dir, check_out, output_lock
    from keras_imnn.design import maximize_gap
    from keras_imnn.design.plots import plot_bands, plot_cell, plot_history
    from keras_imnn.models.registry import load

    check_out(args.out, args.overwrite)
    with output_lock(args.out):  # a second design run to the same --out is refused, not raced
        result = maximize_gap(args.model, tuple(args.eps), args.polarization, tuple(args.bands), args.seed,
                              target_frequency=args.target_frequency, symmetric=not args.no_symmetry,
                              starts=args.starts, steps=args.steps, rounds=args.rounds, replay=args.replay,
                              neighbours=args.neighbours,
                              min_feature=args.min_feature)
        edges_model = result.model if result.model.output_shape[-1] != 1 else load("photonic_edges_inv_dilated")
        predicted_edges = np.asarray(edges_model.predict(result.eps[None, ..., None], verbose=0))[0]
        summary = result.summary()
        with atomic_dir(args.out) as tmp:
            np.savez(tmp / "cell.npz", eps=result.eps, predicted=result.predicted, verified=result.verified,
                     predicted_edges=predicted_edges, **result.history.arrays())
            plot_cell(result, tmp / "cell.png")
            plot_bands(result, predicted_edges, tmp / "bands.png")
            plot_history(result.history, tmp / "history.png")
            (tmp / "design.json").write_text(json.dumps(summary, indent=2))
    print(f"{summary['objective']}: solver {result.verified:.4f}, surrogate {result.predicted:.4f} "
          f"({summary['rounds']} round(s), {summary['labelled']} cells labelled, {summary['seconds']:.0f} s) "
          f"→ {args.out}")
    return 0
