"""`keras-imnn generate magnet` (plain .npz arrays, no TFDS) and `keras-imnn plot magnet`."""
from __future__ import annotations

import argparse


def add_generate(sub: argparse._SubParsersAction) -> None:
    """Register ``generate magnet``."""
    p = sub.add_parser("magnet", help="J1-J2 ground-state sign dataset as .npz arrays")
    p.add_argument("--lattice", default="square", help="square or triangular")
    p.add_argument("--shape", type=int, nargs=2, default=(4, 4), metavar=("LX", "LY"))
    p.add_argument("--j2", type=float, required=True)
    p.add_argument("--j1", type=float, default=1.0)
    p.add_argument("--train-fraction", type=float, default=0.05)
    p.add_argument("--test-size", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output directory")
    p.set_defaults(func=_generate)


def _generate(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    import numpy as np

    from keras_imnn.physics.magnet.ed import ground_state, sector_label
    from keras_imnn.physics.magnet.sampling import split_indices
    from keras_imnn.physics.magnet.signs import marshall_violation, sign_characters

    gs = ground_state(args.lattice, args.shape, args.j2, j1=args.j1)
    splits = split_indices(gs.weights, args.train_fraction, args.test_size, args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, index in splits.items():
        np.savez(out / f"{name}.npz", states=gs.states[index], spins=gs.spins(index), sign=gs.signs[index],
                 amplitude=gs.amplitudes[index].astype(np.float32), weight=gs.weights[index].astype(np.float32))
    characters = sign_characters(gs)
    meta = {"lattice": args.lattice, "shape": list(gs.lattice.shape), "j1": gs.j1, "j2": gs.j2,
            "energy": gs.energy, "sector": sector_label(gs.sector), "gap": gs.gap,
            "sign_characters": characters, "marshall_violation": marshall_violation(gs),
            "train_fraction": args.train_fraction, "test_size": args.test_size, "seed": args.seed}
    (out / "metadata.json").write_text(json.dumps(meta, indent=1))
    print(f"E0 = {gs.energy:.10f}; wrote {', '.join(f'{k}.npz' for k in splits)} and metadata.json to {out}")
    return 0


def add_plot(sub: argparse._SubParsersAction) -> None:
    """Register ``plot magnet``: the highest-weight configurations of a generated split."""
    p = sub.add_parser("magnet", help="draw the highest-|psi|^2 spin configurations with their signs")
    p.add_argument("--data", required=True, help="a .npz written by `generate magnet`")
    p.add_argument("--out", required=True, help="PNG path")
    p.add_argument("--n", type=int, default=8)
    p.set_defaults(func=_plot)


def _plot(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    data = np.load(args.data)
    top = np.argsort(-data["weight"])[: args.n]
    fig, axes = plt.subplots(1, len(top), figsize=(1.6 * len(top), 2), squeeze=False)
    for ax, i in zip(axes[0], top):
        ax.imshow(data["spins"][i, ..., 0].T, cmap="gray_r", origin="lower", vmin=0, vmax=1)
        ax.set_title(f"{'−' if data['sign'][i] else '+'} |ψ|²={data['weight'][i]:.1e}", fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")
    return 0
