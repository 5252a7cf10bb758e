"""`keras-imnn generate photonic`, `keras-imnn label photonic` and `keras-imnn plot photonic`."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np  # already loaded by cells; h5py and the solver load inside the handlers

from keras_imnn.atomic import atomic_path
from keras_imnn.cli_options import int_at_least, png_path, positive_int, seed_int
from keras_imnn.npz import read_npz
from keras_imnn.physics.photonic.cells import CONFIGS

_FORMATS = ("npz", "h5")
#: (2 n_max + 1)² plane waves must hold the 10 bands of the labels.
_N_MAX = int_at_least(2, "(2 n_max + 1)^2 plane waves hold the 10 bands")
#: Cells one picture can show: each takes a 3.2-inch column.
MAX_CELLS_DRAWN = 20


def add_generate(sub: argparse._SubParsersAction) -> None:
    """Register ``generate photonic``: labelled unit cells as one npz / HDF5 file, no TFDS."""
    p = sub.add_parser(
        "photonic", help="random photonic-crystal unit cells with TM/TE bands and gaps",
        description="Write cells 0..N-1 of a unit-cell config with their TM/TE bands on "
                    "k_grid(16) and band gaps (the arrays of the TFDS builder photonic_crystals; "
                    "with --seed 0 they are exactly the cells of photonic_crystals/CONFIG, "
                    "test split first). Interrupted runs resume from OUT/.cache-*; the file is "
                    "replaced only once complete.")
    p.add_argument("--config", default="gapped", choices=CONFIGS, help="unit-cell distribution")
    p.add_argument("--n", type=positive_int, default=1000,
                   help="number of cells (default 1000; refused where the estimated time or memory is too much)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--seed", type=seed_int, default=0, help="seed of the cells (default 0)")
    p.add_argument("--format", default="npz", choices=_FORMATS, help="file format")
    p.add_argument("--workers", type=positive_int, default=None, help="solver threads (default: all cores)")
    p.add_argument("--n-max", type=_N_MAX, default=None,
                   help="plane-wave cutoff of the solver for TM and TE (default: the TFDS "
                        "config's: TM 5 / TE 6 for gapped, 5 / 5 for sibcl, 7 / 7 for general); "
                        "another cutoff is part of the file name")
    p.set_defaults(func=_generate)


def add_label(sub: argparse._SubParsersAction) -> None:
    """Register ``label photonic``: the solver's labels for the user's own cells."""
    p = sub.add_parser(
        "photonic", help="label your own unit cells with the band solver (bands, gaps, band edges)",
        description="Compute the TM/TE bands on k_grid(16), gaps and band edges of your own 32×32 cells with the "
                    "solver that labels the datasets, and write them beside the cells in the format of "
                    "`keras-imnn generate photonic`, which `plot photonic`, `finetune` and `evaluate` read.")
    p.add_argument("--data", required=True,
                   help=".npz / .h5 with your cells as `eps` or `x`: (n, 32, 32) or (n, 32, 32, 1), ε > 0")
    p.add_argument("--out", required=True, help="output file, .npz or .h5 (written whole or not at all)")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists (never --data itself)")
    p.add_argument("--workers", type=int, default=None, help="solver threads (default: all cores)")
    p.add_argument("--n-max", type=_N_MAX, default=None,
                   help="plane-wave cutoff for TM and TE (default: that of photonic_crystals/general, whose labels "
                        "the zoo's photonic checkpoints learned)")
    p.set_defaults(func=_label)


def add_plot(sub: argparse._SubParsersAction) -> None:
    """Register ``plot photonic``: a few cells, their band diagrams and the label histogram."""
    p = sub.add_parser(
        "photonic", help="draw unit cells, their TM/TE band diagrams and the gap histogram",
        description="Draw a few cells with their TM and TE bands along Γ–X–M–Γ and the histogram "
                    "of the TM gap-to-midgap ratio (bands 1–2) as a PNG.")
    p.add_argument("--data", default=None,
                   help="npz / h5 file from `keras-imnn generate photonic` (histogram and cells); "
                        "without it, --n cells of --config are generated")
    p.add_argument("--config", default="gapped", choices=CONFIGS, help="unit-cell distribution")
    p.add_argument("--n", type=positive_int, default=200, help="cells generated when --data is not given")
    p.add_argument("--seed", type=seed_int, default=0, help="seed of the generated cells")
    p.add_argument("--cells", type=positive_int, default=3, help=f"cells drawn (default 3, at most {MAX_CELLS_DRAWN})")
    p.add_argument("--workers", type=positive_int, default=None, help="solver threads (default: all cores)")
    p.add_argument("--out", type=png_path, default="photonic_cells.png", help="PNG path")
    p.set_defaults(func=_plot)


def _generate(args: argparse.Namespace) -> int:
    import json
    import shutil
    import time

    from keras_imnn.atomic import check_writable, output_lock
    from keras_imnn.physics.photonic import dataset

    settings = dataset.SolverSettings(n_max=dataset.DATASET_N_MAX[args.config] if args.n_max is None else args.n_max)
    cutoffs = {"n_max_tm": settings.cutoff("tm"), "n_max_te": settings.cutoff("te")}
    workers = args.workers or dataset.default_workers()
    dataset.check_generation(args.n, settings, workers)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out {out} is a file, not a folder")
    check_writable(out / "x")
    # The name records every setting that changes the labels: cutoffs other than the config's own are in it,
    # so a file made with other cutoffs is never replaced by (or mistaken for) this one.
    default = dataset.SolverSettings(n_max=dataset.DATASET_N_MAX[args.config])
    own = cutoffs != {"n_max_tm": default.cutoff("tm"), "n_max_te": default.cutoff("te")}
    stem = f"photonic_{args.config}_n{args.n}_seed{args.seed}"
    cache = out / f".cache-{stem}-tm{cutoffs['n_max_tm']}-te{cutoffs['n_max_te']}"  # always named by its cutoffs
    path = out / (stem + (f"_nmax_tm{cutoffs['n_max_tm']}_te{cutoffs['n_max_te']}" if own else "") + f".{args.format}")
    with output_lock(path):  # two runs writing one file: the second is refused, not raced
        start = time.perf_counter()
        data = dataset.generate(args.config, args.n, args.seed, settings, workers=args.workers,
                                cache_dir=cache)
        seconds = time.perf_counter() - start
        stats = dataset.label_statistics(data["tm_gap"], data["tm_midgap"])
        summary = {"file": str(path), "config": args.config, "n": args.n, "seed": args.seed,
                   **cutoffs, "workers": workers, "seconds": round(seconds, 2), "tm_gap_statistics": stats}
        # Both files are written whole before either replaces its predecessor; the data file is renamed
        # first, then its summary: a failure leaves the previous pair as it was.
        with atomic_path(path.with_suffix(".json")) as summary_tmp:
            summary_tmp.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
            write_arrays(path, data, {"config": args.config, **cutoffs, "k_grid_n": settings.k_grid_n,
                                      "n_bands": settings.n_bands})
        shutil.rmtree(cache)
    print(f"wrote {path} ({args.n} cells in {seconds:.1f} s); TM gap (bands 1-2) in "
          f"{stats['gap_fraction']:.1%} of cells")
    print(dataset.format_histogram(stats))
    return 0


def _label(args: argparse.Namespace) -> int:
    import time

    from keras_imnn.atomic import check_out_file, output_lock
    from keras_imnn.domain import PhotonicDomain
    from keras_imnn.npz import input_array
    from keras_imnn.physics.photonic import dataset

    out = Path(args.out)
    if out.suffix not in (".npz", ".h5"):
        raise ValueError(f"--out must end in .npz or .h5, got {out}")
    check_out_file(out, args.overwrite, inputs=[args.data])
    n_max = dataset.DATASET_N_MAX["general"] if args.n_max is None else args.n_max
    cells = input_array(read_arrays(args.data), "eps", args.data, what="cells")
    eps = PhotonicDomain().validate(cells)  # shape (n, 32, 32) and ε > 0, before any solving
    settings = dataset.SolverSettings(n_max=n_max)
    with output_lock(out):  # a second labelling run to the same file is refused, not raced
        start = time.perf_counter()
        labels = dataset.label_many(eps, settings, workers=args.workers)
        seconds = time.perf_counter() - start
        write_arrays(out, {"eps": eps.astype(np.float32), **labels},
                     {"source": str(args.data), "n_max_tm": n_max, "n_max_te": n_max,
                      "k_grid_n": settings.k_grid_n, "n_bands": settings.n_bands})
    stats = dataset.label_statistics(labels["tm_gap"], labels["tm_midgap"])
    print(f"wrote {out} ({len(eps)} cells in {seconds:.1f} s); TM gap (bands 1-2) in {stats['gap_fraction']:.1%} "
          f"of cells")
    return 0


def write_arrays(path: str | os.PathLike, data: dict[str, np.ndarray], attrs: dict[str, object]) -> None:
    """Save ``data`` as ``.npz`` (attrs as 0-d arrays) or ``.h5`` (attrs as file attributes).

    The file is written under a temporary name and renamed: a kill or a full disk leaves the
    previous file (or none), never a partial one.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        if path.suffix == ".npz":
            np.savez_compressed(tmp, **data, **{k: np.asarray(v) for k, v in attrs.items()})
            return
        import h5py

        with h5py.File(tmp, "w") as f:
            for key, value in data.items():
                f.create_dataset(key, data=value, compression="gzip")
            f.attrs.update(attrs)


def read_arrays(path: str | os.PathLike) -> dict[str, object]:
    """Arrays written by :func:`write_arrays` (``.npz`` or ``.h5``); a damaged file is a ValueError."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such data file: {path}")
    if path.suffix not in (".npz", ".h5", ".hdf5"):
        raise ValueError(f"--data must be a .npz or .h5 file from `keras-imnn generate photonic`, "
                         f"got {path}")
    if path.suffix == ".npz":
        return read_npz(path, made_by="`keras-imnn generate photonic`")
    try:
        import h5py

        with h5py.File(path, "r") as f:
            return {key: f[key][()] for key in f} | dict(f.attrs)
    except (OSError, ValueError, KeyError, EOFError) as err:
        raise ValueError(f"cannot read {path}, truncated or not written by `keras-imnn generate "
                         f"photonic` ({type(err).__name__}: {err})") from err


def _plot(args: argparse.Namespace) -> int:
    from keras_imnn.physics.photonic import dataset, plotting

    if args.cells > MAX_CELLS_DRAWN:
        raise ValueError(f"--cells {args.cells}: at most {MAX_CELLS_DRAWN} fit one picture (a 3.2-inch column "
                         "each, with its band diagram)")
    if args.data:
        data = read_arrays(args.data)
        missing = {"eps", "tm_gap", "tm_midgap"} - set(data)
        if missing:
            raise ValueError(f"{args.data} lacks {sorted(missing)}: not a photonic data file")
        if args.cells > len(data["eps"]):
            raise ValueError(f"--cells {args.cells}: {args.data} holds only {len(data['eps'])} cell(s)")
    else:
        if args.n < args.cells:
            raise ValueError(f"--n ({args.n}) must be at least --cells ({args.cells})")
        settings = dataset.SolverSettings(n_max=dataset.DATASET_N_MAX[args.config])
        dataset.check_generation(args.n, settings, args.workers or dataset.default_workers())
        data = dataset.generate(args.config, args.n, args.seed, settings, workers=args.workers)
    path = plotting.plot_cells_and_gaps(data, n_cells=args.cells, out=args.out)
    print(f"wrote {path}")
    return 0
