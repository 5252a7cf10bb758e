"""Split files for fine-tuning or retraining the photonic checkpoints on ``varied`` cells without forgetting the rest.

    python benchmarks/trust_retrain_data.py --data DIR --out OUT_DIR [--replay 4000] [--smooth 1000] [--tm-labels D]
        [--configs varied pairs] [--rehearse-varied 6000]
    python benchmarks/trust_retrain_data.py --data DIR --out OUT_DIR --tm-labels D --tm-only

DIR holds what benchmarks/trust_data.py writes: ``varied_train*.npz``, ``varied_val.npz``, ``varied_test.npz``
(solver labels, config ``varied``; ``--configs`` names others whose ``<config>_train*``, ``_val`` and ``_test`` files
join them), general ``val.npz`` and ``test.npz``. OUT_DIR gets ``train.npz``,
``validation.npz`` and ``test.npz`` for ``python -m keras_imnn.training.checkpoints photonic --npz-dir OUT_DIR``.

train = the varied cells with their solver labels + ``--replay`` cells of the general config (indices 2500…, the
checkpoints' own training cells) and ``--smooth`` of the smooth config (seed 1) labelled by the shipped
checkpoints themselves: the TM gap ratio by photonic_inv_dilated, the 32 band edges by
photonic_edges_inv_dilated (rehearsal by distillation, as in "learning without forgetting", Li & Hoiem 2017:
labelling 5 000 general cells with the solver would cost ~3 CPU hours here, and on those cells the teachers are
within 0.002 / 0.8 % of it). ``--rehearse-varied N`` adds varied cells 500..500+N-1 (those the shipped checkpoints
were fine-tuned on) labelled the same way, for a fine-tune on other cells when their solver labels are not at
hand. ``--tm-labels D``: the solver's TM gap and midgap of the first general replay cells
(D/general_tm_<start>.npz, chunks of consecutive cells from 2500 with ``eps``, ``tm_gap``, ``tm_midgap``; TM 1-2 alone
costs 0.4 CPU s a cell) replace the teacher's, for the flagship; chunks of the ``--configs`` there
(``<config>_tm_<start>.npz``, cells past that config's solver-labelled training files) join the training cells with
the teacher's band edges beside the solver's TM labels. validation and test: varied and general cells,
solver labels only. Each file carries ``source`` (0 solver, 1 teacher, 2 TM by the solver and edges by the teacher)
and ``family``.

``--tm-only``: files for the gap models alone, every label the solver's and no teacher (for a retraining rather
than a fine-tune): train = the varied cells + every chunk in D (``<config>_tm_<start>.npz`` of
benchmarks/label_tm.py: general, varied and smooth), validation and test as above; the keys ``eps``, ``tm_gap``,
``tm_midgap``, ``family`` and ``source`` only.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from label_tm import chunk_start, chunks

import keras_imnn
from keras_imnn.npz import read_npz
from keras_imnn.physics.photonic.cells import sample_unit_cells
from keras_imnn.physics.photonic.commands import write_arrays

KEYS = ("eps", "tm_gap", "tm_midgap", "band_edges", "family")
TM_KEYS = ("eps", "tm_gap", "tm_midgap", "family")
TRAIN_START = 2500  # the general checkpoints' first training cell
VARIED_TRAIN_START = 500  # the first varied cell the shipped checkpoints were fine-tuned on


def _solver_cells(paths: list[Path], keys: tuple[str, ...] = KEYS) -> dict[str, np.ndarray]:
    return _join(*({k: f[k] for k in keys} | {"source": np.zeros(len(f["eps"]), np.int64)}
                   for f in map(read_npz, paths)))


def teacher_cells(config: str, seed: int, start: int, n: int) -> dict[str, np.ndarray]:
    """Cells ``start..start+n-1`` of ``config`` labelled by the shipped flagship and edges checkpoints."""
    cells = sample_unit_cells(n, config, seed=seed, start=start)
    eps = cells.eps.astype(np.float32)
    ratio = keras_imnn.predict("photonic_inv_dilated", eps, batch_size=256).mean[:, 0]
    edges = keras_imnn.predict("photonic_edges_inv_dilated", eps, batch_size=256).mean
    midgap = (edges[:, 1] + edges[:, 2]) / 2  # TM band 1 max, band 2 min
    return {"eps": eps, "tm_gap": ratio * midgap, "tm_midgap": midgap, "band_edges": edges,
            "family": cells.family, "source": np.ones(n, np.int64)}


def tm_labels(paths: list[Path]) -> dict[str, np.ndarray]:
    """``eps``, ``tm_gap`` and ``tm_midgap`` of consecutive label_tm.py chunks, joined in order."""
    return _join(*({k: f[k] for k in ("eps", "tm_gap", "tm_midgap")} for f in map(read_npz, paths)))


def with_solver_tm(teacher: dict[str, np.ndarray], tm: dict[str, np.ndarray], where: Path) -> dict[str, np.ndarray]:
    """``teacher`` with the TM gap and midgap of ``tm`` (:func:`tm_labels` of the chunks from ``where``), the
    solver's labels of its first cells in order (checked cell by cell; labels past the teacher's cells are not
    used)."""
    n = min(len(tm["eps"]), len(teacher["eps"]))
    if not np.array_equal(tm["eps"][:n], teacher["eps"][:n]):
        raise ValueError(f"the TM labels {where}.. are not of the teacher's cells in order")
    out = {k: v.copy() for k, v in teacher.items()}
    out["tm_gap"][:n], out["tm_midgap"][:n], out["source"][:n] = tm["tm_gap"][:n], tm["tm_midgap"][:n], 2
    return out


def tm_chunk_cells(config: str, paths: list[Path], solver: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The cells of ``config``'s consecutive TM chunks ``paths`` with the solver's TM labels and the teacher's band
    edges; ValueError if one of them is already among the ``solver``-labelled training cells."""
    start, tm = chunk_start(paths[0], config), tm_labels(paths)
    cells = with_solver_tm(teacher_cells(config, 0, start, len(tm["eps"])), tm, paths[0])
    n = len(cells["eps"])
    seen = {e.tobytes() for e in solver["eps"].astype(np.float32)}
    if repeated := sum(e.tobytes() in seen for e in cells["eps"]):
        raise ValueError(f"{repeated} cells of {config} chunks {start}..{start + n - 1} are already in its "
                         f"solver-labelled training files")
    return cells


def _join(*parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]).astype(parts[0][k].dtype) for k in parts[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--replay", type=int, default=4000)
    parser.add_argument("--smooth", type=int, default=1000)
    parser.add_argument("--tm-labels", type=Path, help="folder of the solver's TM labels of general replay cells")
    parser.add_argument("--tm-only", action="store_true",
                        help="solver labels only, TM keys only: the varied cells + every chunk in --tm-labels")
    parser.add_argument("--configs", nargs="+", default=["varied"],
                        help="configs whose solver-labelled <config>_train*, _val and _test files in --data are used")
    parser.add_argument("--rehearse-varied", type=int, default=0, metavar="N",
                        help="add N varied cells from 500 labelled by the shipped checkpoints")
    args = parser.parse_args()
    if args.tm_only and not args.tm_labels:
        parser.error("--tm-only takes its training cells from --tm-labels; give that folder")
    tm_paths, config_tm = [], {}
    if args.tm_labels:
        try:
            tm_paths, varied_tm, smooth_tm = (chunks(args.tm_labels, c) for c in ("general", "varied", "smooth"))
            config_tm = {c: paths for c in args.configs if (paths := chunks(args.tm_labels, c))}
        except (OSError, ValueError) as e:
            parser.error(f"--tm-labels: {e}")
        if not tm_paths:
            parser.error(f"--tm-labels {args.tm_labels}: no general_tm_<start>.npz files there")
    held_out_files = {name: [*(args.data / f"{c}_{split}.npz" for c in args.configs), args.data / f"{split}.npz"]
                      for name, split in (("validation", "val"), ("test", "test"))}
    if absent := [str(f) for files in held_out_files.values() for f in files if not f.is_file()]:
        parser.error(f"no such file: {', '.join(absent)} (benchmarks/trust_data.py writes them)")
    args.out.mkdir(parents=True, exist_ok=True)
    solver_train = [path for config in args.configs for path in sorted(args.data.glob(f"{config}_train*.npz"))]
    if args.tm_only:
        keys = TM_KEYS
        train = _solver_cells(solver_train + varied_tm + smooth_tm + tm_paths, keys)
    else:
        keys = KEYS
        replay = teacher_cells("general", 0, TRAIN_START, args.replay)
        if tm_paths:
            replay = with_solver_tm(replay, tm_labels(tm_paths), tm_paths[0])
        solver = _solver_cells(solver_train)
        try:
            extra = [tm_chunk_cells(c, paths, solver) for c, paths in config_tm.items()]
        except ValueError as e:
            parser.error(f"--tm-labels: {e}")
        train = _join(solver, *extra, replay, teacher_cells("smooth", 1, 0, args.smooth),
                      *([teacher_cells("varied", 0, VARIED_TRAIN_START, args.rehearse_varied)]
                        if args.rehearse_varied else []))
    held_out = {name: _solver_cells(files, keys) for name, files in held_out_files.items()}
    for name, arrays in {"train": train, **held_out}.items():
        write_arrays(args.out / f"{name}.npz", arrays, {})
        print(f"{name}: {len(arrays['eps'])} cells (source 0/1/2: {np.bincount(arrays['source'], minlength=3)})",
              flush=True)


if __name__ == "__main__":
    main()
