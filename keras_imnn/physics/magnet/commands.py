"""`keras-imnn generate magnet` (plain .npz arrays, no TFDS) and `keras-imnn plot magnet`."""
from __future__ import annotations

import argparse

from keras_imnn.cli_options import int_in, png_path, positive_int
from keras_imnn.physics.magnet.sampling import MAX_EXPANDED_SITES, ORBIT_TRAIN_FRACTION, TRAIN_FRACTION

#: The most spins a generation may ask for: the orbit ED of 6x6 (36 spins) took ~25 CPU min and ~10 GB; each two
#: spins more multiply the Sz = 0 states by ~4 (``_check_size`` estimates the rest from the request).
MAX_SITES = 40
#: CPU minutes of the 36-spin orbit ED (benchmarks/magnet_36_spins.py), the unit of the time estimate.
_MINUTES_AT_36 = 25
#: The most CPU hours a generation may plan.
MAX_CPU_HOURS = 100

#: What `generate magnet` writes into --out (the folder is replaced as a whole).
_OUTPUTS = ("train.npz", "test.npz", "full.npz", "metadata.json")


def add_generate(sub: argparse._SubParsersAction) -> None:
    """Register ``generate magnet``."""
    p = sub.add_parser("magnet", help="J1-J2 ground-state sign dataset as .npz arrays",
                       description="Diagonalize the J1-J2 model and write train/test/full splits with "
                                   "metadata.json into OUT, which is replaced as a whole once all are "
                                   "written (a kill or an error leaves the previous OUT as it was). Past "
                                   f"{MAX_EXPANDED_SITES} spins (6x6) the ground state is held as orbits of "
                                   "the symmetric sector: train is --train-fraction of the orbits, drawn "
                                   "with |psi|^2, and there is no full split (the frustrated_magnets TFDS "
                                   "configs' protocol).")
    p.add_argument("--lattice", default="square", help="square, triangular or kagome (keras_imnn.lattices)")
    p.add_argument("--shape", type=positive_int, nargs=2, default=(4, 4), metavar=("LX", "LY"),
                   help=f"the torus in unit cells (default 4 4); at most {MAX_SITES} spins, refused where the "
                        "estimated memory or time is too much")
    p.add_argument("--j2", type=float, required=True)
    p.add_argument("--j1", type=float, default=1.0)
    p.add_argument("--train-fraction", type=float,
                   help=f"epsilon: of the Sz = 0 states (default {TRAIN_FRACTION}), or with --orbits of the orbits "
                        f"(default {ORBIT_TRAIN_FRACTION})")
    p.add_argument("--test-size", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output directory (only this command's files in it)")
    p.add_argument("--orbits", action=argparse.BooleanOptionalAction, default=None,
                   help=f"hold the ground state as orbits and sample it (default: above {MAX_EXPANDED_SITES} spins)")
    p.add_argument("--ground-state-dir",
                   help="with --orbits: where benchmarks/magnet_36_spins.py wrote the ground state (its --out); "
                        "without the file it is computed (~25 CPU min, ~10 GB at 6x6)")
    p.set_defaults(func=_generate)


def _with_defaults(args: argparse.Namespace) -> argparse.Namespace:
    """``args`` with the defaults that depend on the lattice size: the orbit path past
    ``MAX_EXPANDED_SITES`` spins, and its ε (of orbits) or the expanded path's (of states). A bad lattice name is
    refused here; the torus is not built yet (``_check_size`` first bounds its size)."""
    orbits = args.orbits if args.orbits is not None else _n_sites(args.lattice, args.shape) > MAX_EXPANDED_SITES
    fraction = args.train_fraction
    if fraction is None:
        fraction = ORBIT_TRAIN_FRACTION if orbits else TRAIN_FRACTION
    return argparse.Namespace(**{**vars(args), "orbits": orbits, "train_fraction": fraction})


def _check_generate_args(args: argparse.Namespace) -> None:
    """Refuse bad arguments (defaults resolved by ``_with_defaults``) before the diagonalization, whose cost
    grows as C(N, N/2)."""
    import math
    from pathlib import Path

    from keras_imnn.atomic import check_writable
    from keras_imnn.physics.magnet import ed, representatives
    from keras_imnn.physics.magnet.lattices import make_lattice

    _check_size(args.lattice, args.shape)
    lattice = make_lattice(args.lattice, args.shape)  # the lattice name and shape
    for name, value in (("--j1", args.j1), ("--j2", args.j2)):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value}")
    n_sites = lattice.n_sites
    if not 0 < args.train_fraction < 1:
        raise ValueError(f"--train-fraction must be in (0, 1), got {args.train_fraction}")
    n_states = ed.n_basis_states(n_sites)  # the Sz = 0 basis (Sz = +1/2 for odd N)
    # with --orbits epsilon counts orbits (Burnside's count; the sector may drop a few of them)
    population = representatives.n_orbits(lattice) if args.orbits else n_states
    n_train = round(args.train_fraction * population)
    if n_train < 1:
        raise ValueError(f"--train-fraction {args.train_fraction} gives no train state out of {population} "
                         f"{'orbits' if args.orbits else 'states'}")
    if not 1 <= args.test_size <= n_states - n_train:
        raise ValueError(f"--test-size must be in [1, {n_states - n_train}] (the states of {args.lattice} "
                         f"{lattice.shape[0]}x{lattice.shape[1]} not in train), got {args.test_size}")
    if args.ground_state_dir is not None and not args.orbits:
        raise ValueError(f"--ground-state-dir is read on the orbit path only (--orbits, the default above "
                         f"{MAX_EXPANDED_SITES} spins)")
    if args.ground_state_dir is not None and not Path(args.ground_state_dir).is_dir():
        raise ValueError(f"--ground-state-dir {args.ground_state_dir} is not a folder (a typo would mean "
                         f"solving the ground state again)")
    if not args.orbits and n_sites > MAX_EXPANDED_SITES:
        raise ValueError(f"--no-orbits lists all {n_states:.3g} basis states of {n_sites} spins; up to "
                         f"{MAX_EXPANDED_SITES} spins only")
    if not 0 <= args.seed < 2**32:
        raise ValueError(f"--seed must be in [0, 2**32), got {args.seed}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file, not a folder")
    check_writable(out)  # before the diagonalization, not after
    others = sorted(p.name for p in out.iterdir() if p.name not in _OUTPUTS) if out.is_dir() else []
    if others:
        listed = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        raise ValueError(f"--out {out} holds other files ({listed}), which replacing the folder would "
                         f"delete; give a new or empty folder")


def _n_sites(lattice: str, shape: tuple[int, int]) -> int:
    """Spins on ``shape`` cells of the registered ``lattice`` (a ValueError naming the known ones)."""
    from keras_imnn.lattices import get_lattice

    return shape[0] * shape[1] * get_lattice(lattice).sites_per_cell


def _check_size(lattice: str, shape: tuple[int, int]) -> None:
    """Refuse a torus too big to diagonalize from its size alone, before any lattice or group is built (their
    construction itself takes minutes past a few hundred sites): the symmetric-sector ED holds at least
    C(N, N/2) / (16 N) orbits (translations, 8 point-group elements, spin flip) of ~400 bytes each (representatives,
    Hamiltonian rows, Lanczos vectors), and its time grows with the Sz = 0 states from ~25 CPU min at 36 spins."""
    import math

    from keras_imnn.physics.memory import check_memory

    n = _n_sites(lattice, shape)
    what = f"the ground state of {n} spins ({lattice} {shape[0]}x{shape[1]})"
    if n > MAX_SITES:
        digits = (math.lgamma(n + 1) - 2 * math.lgamma(n // 2 + 1)) / math.log(10)  # C(n, n/2) overflows a float
        raise ValueError(f"--shape {shape[0]} {shape[1]}: {what} has ~1e{digits:.0f} Sz = 0 states; at most "
                         f"{MAX_SITES} spins can be diagonalized (36 took ~25 CPU min and ~10 GB, x4 per 2 spins more)")
    states = math.comb(n, n // 2)
    hours = _MINUTES_AT_36 / 60 * states / math.comb(36, 18)
    if hours > MAX_CPU_HOURS:
        raise ValueError(f"--shape {shape[0]} {shape[1]}: {what} needs about {hours:.3g} CPU hours "
                         f"(~{_MINUTES_AT_36} min at 36 spins, growing with the {states:.3g} Sz = 0 states), over "
                         f"the {MAX_CPU_HOURS} a run may plan")
    check_memory(0.4e9 + 400 * states / (16 * n), what, "choose a smaller --shape")


def _generate(args: argparse.Namespace) -> int:
    from keras_imnn.atomic import output_lock

    args = _with_defaults(args)
    _check_generate_args(args)
    with output_lock(args.out):  # a second run to the same --out is refused, not raced
        return _generate_locked(args)


def _generate_locked(args: argparse.Namespace) -> int:
    """Diagonalize and write ``args.out`` (checked by ``_check_generate_args``)."""
    import json

    import numpy as np

    from keras_imnn.atomic import atomic_dir
    from keras_imnn.physics.magnet import ed
    from keras_imnn.physics.magnet.ed import ground_state, sector_label, states_to_spins
    from keras_imnn.physics.magnet.representatives import find_or_solve
    from keras_imnn.physics.magnet.sampling import orbit_splits, split_indices
    from keras_imnn.physics.magnet.signs import marshall_violation, sign_characters

    if args.orbits:
        gs = find_or_solve(args.lattice, tuple(args.shape), args.j2, args.j1, args.ground_state_dir,
                           "--ground-state-dir")
        states = orbit_splits(gs, args.train_fraction, args.test_size, args.seed)
        splits = {name: (s, gs.amplitudes_of(s)) for name, s in states.items()}
        extra = {"n_orbits": gs.sector_dim, "residual": gs.residual, "train_fraction_of": "orbits"}
        characters = dict(gs.sector)  # a state held in one sector has its characters
    else:
        gs = ground_state(args.lattice, args.shape, args.j2, j1=args.j1)
        splits = {name: (gs.states[index], gs.amplitudes[index])
                  for name, index in split_indices(gs.weights, args.train_fraction, args.test_size, args.seed).items()}
        extra = {"gap": gs.gap, "train_fraction_of": "states"}
        characters = sign_characters(gs)
    meta = {"lattice": args.lattice, "shape": list(gs.lattice.shape), "j1": gs.j1, "j2": gs.j2,
            "sz": ed.up_spins(gs.lattice.n_sites) - gs.lattice.n_sites / 2, "energy": gs.energy,
            "sector": sector_label(gs.sector), **extra,
            "sign_characters": characters, "marshall_violation": marshall_violation(gs),
            "train_fraction": args.train_fraction, "test_size": args.test_size, "seed": args.seed}
    with atomic_dir(args.out) as tmp:  # all files of one run, or the previous run's, never a mix
        for name, (states, amplitudes) in splits.items():
            np.savez(tmp / f"{name}.npz", states=states, spins=states_to_spins(states, gs.lattice.feature_shape),
                     sign=(amplitudes < 0).astype(np.uint8), amplitude=amplitudes.astype(np.float32),
                     weight=np.square(amplitudes).astype(np.float32))
        (tmp / "metadata.json").write_text(json.dumps(meta, indent=1))
    print(f"E0 = {gs.energy:.10f}; wrote {', '.join(f'{k}.npz' for k in splits)} and metadata.json to {args.out}")
    return 0


def add_plot(sub: argparse._SubParsersAction) -> None:
    """Register ``plot magnet``: the highest-weight configurations of a generated split."""
    p = sub.add_parser("magnet", help="draw the highest-|psi|^2 spin configurations with their signs")
    p.add_argument("--data", required=True, help="a .npz written by `generate magnet`")
    p.add_argument("--out", type=png_path, required=True, help="PNG path")
    p.add_argument("--n", type=int_in(1, 64), default=8,
                   help="configurations to draw (default 8, at most 64: a 1.6-inch panel each, in one row)")
    p.set_defaults(func=_plot)


def _plot(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from keras_imnn.atomic import atomic_path
    from keras_imnn.npz import read_npz

    data = read_npz(args.data, required=("spins", "sign", "weight"), made_by="`keras-imnn generate magnet`")
    top = np.argsort(-data["weight"])[: args.n]
    fig, axes = plt.subplots(1, len(top), figsize=(1.6 * len(top), 2), squeeze=False)
    for ax, i in zip(axes[0], top):
        ax.imshow(data["spins"][i, ..., 0].T, cmap="gray_r", origin="lower", vmin=0, vmax=1)
        ax.set_title(f"{'−' if data['sign'][i] else '+'} |ψ|²={data['weight'][i]:.1e}", fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    with atomic_path(args.out) as tmp:  # a kill leaves the previous picture, never half of one
        fig.savefig(tmp, dpi=100)
    print(f"wrote {args.out}")
    return 0
