"""Ground state of the 6x6 (36-spin) square J1-J2 model in the fully symmetric sector, at J2 = 0.5 and 0.0,
kept as orbit representatives (``keras_imnn.physics.magnet.representatives``).

    nice -n 10 python benchmarks/magnet_36_spins.py --out out/magnet_36

Resumable by stages, each written whole (``keras_imnn.atomic``) and skipped when its output exists:
1. ``<out>/sector_square_6x6/``: the 1.6e7 orbits and the hops of H between them (~5.5 GB on disk;
   ``--no-save-sector`` keeps it in memory only);
2. ``<out>/ground_state_square_6x6_j2_<J2>.npz`` for each J2: representatives, amplitudes (sum c^2 = 1),
   orbit sizes, energy, residual (``representatives.load_ground_state`` reads it back).
Each stage prints its wall and CPU time and the peak RSS so far; ``<out>/summary_square_6x6.json`` collects
them, with the energies next to the published ones (shared/reference) and, as a check, the weight of the
states that break the Marshall sign rule (exactly 0 at J2 = 0). ``--shape 6 5`` etc. run the same on
smaller lattices (the feasibility measurements were made that way).

    nice -n 10 python benchmarks/magnet_36_spins.py --estimate

measures instead, in a few CPU minutes and ~5.5 GB at 6x6, what the full run costs per hop: the CPU time
of the hop-table rows (of 20 000 representatives, looked up among the representatives of as many random
states as the sector has orbits) and of one matvec (on random hop columns, as many as the sector's), and
prints the extrapolation (``--no-matvec``: the first only, < 1 GB).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import time
from pathlib import Path

import numpy as np

from keras_imnn.atomic import atomic_write_text
from keras_imnn.physics.magnet import representatives
from keras_imnn.physics.magnet.lattices import make_lattice
from keras_imnn.physics.magnet.signs import marshall_signs

PUBLISHED = {((6, 6), 0.0): -24.4393969968, ((6, 6), 0.5): -18.13716}  # shared/reference/README.md


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


class _Stage:
    def __init__(self, name: str, summary: dict):
        self.name, self.summary = name, summary

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        print(f"== {self.name}", flush=True)
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            record = {"wall_s": round(time.perf_counter() - self.wall, 1),
                      "cpu_s": round(time.process_time() - self.cpu, 1), "peak_rss_gb": round(_peak_rss_gb(), 2)}
            self.summary["stages"][self.name] = record
            print(f"== {self.name}: {record}", flush=True)


def _marshall_violation(gs) -> float:
    """Weight of the orbits whose sign breaks the Marshall rule, for the better global sign. The rule's
    sign is the same on a whole orbit when N/2 is even (an odd translation or the flip changes the up
    spins on sublattice A by N/2 - 2 n_A)."""
    wrong = np.sign(gs.amplitudes) != np.where(marshall_signs(gs.representatives, gs.lattice) == 1, -1, 1)
    share = float(gs.orbit_probabilities[wrong & (gs.amplitudes != 0)].sum())
    return min(share, 1.0 - share)


def estimate(lattice_name: str, shape: tuple[int, int], threads: int | None, matvec: bool = True) -> dict:
    """CPU seconds per hop of the hop table and of a matvec, on synthetic data of the sector's size."""
    from keras_imnn.physics.magnet.sampling import uniform_sz0_states

    kernels = representatives._kernels()
    lattice = make_lattice(lattice_name, shape)
    n = lattice.n_sites
    orbits = representatives.n_orbits(lattice)
    bonds = np.concatenate([lattice.nn_bonds, lattice.nnn_bonds])
    per_row = round(len(bonds) * n / (2 * (n - 1)))
    geometry = representatives._geometry(lattice_name, shape)
    out = {"orbits": orbits, "hops": orbits * per_row, "threads": threads}
    rng = np.random.default_rng(0)
    # A sector-sized table of representatives: those of as many random Sz = 0 states (the same clustering
    # at the top of the range as the sector's, repeats aside).
    states = uniform_sz0_states(n, min(orbits, math.comb(n, n // 2) // 2), seed=0)
    table = np.empty_like(states)
    flips, plain, flipped = np.empty(len(states), np.bool_), np.empty(len(states), np.int64), np.empty(len(states),
                                                                                                   np.int64)
    with representatives._threads(threads):
        kernels.canonicalize(states, *geometry.args(), table, flips, plain, flipped)
    del states, flips, plain, flipped
    table = np.unique(table)
    a, b = len(table) // 2, min(len(table), len(table) // 2 + 20_000)  # the rows timed; their hops land anywhere
    masks = np.array([(1 << int(i)) | (1 << int(j)) for i, j in bonds], dtype=np.uint64)
    counts = np.zeros(len(table), np.int64)
    kernels.count_hops(table[a:b], masks, counts[a:b])
    ptr = np.r_[0, np.cumsum(counts)]
    cols = np.empty(int(ptr[-1]), np.int32)
    point_masks = representatives._point_masks(geometry, masks)
    index = kernels.prefix_index(table)
    with representatives._threads(threads):
        kernels.fill_hops(table, *index, a, a + 1, ptr, masks, point_masks, False, *geometry.args(), cols)  # compile
        cpu = time.process_time()
        kernels.fill_hops(table, *index, a, b, ptr, masks, point_masks, False, *geometry.args(), cols)
        out["fill_cpu_us_per_hop"] = (time.process_time() - cpu) / len(cols) * 1e6
    del table, cols
    print(f"hop table: {out['fill_cpu_us_per_hop']:.2f} us CPU per hop", flush=True)
    out["hop_table_cpu_s"] = out["hops"] * out["fill_cpu_us_per_hop"] * 1e-6
    if not matvec:
        print(json.dumps(out, indent=2), flush=True)
        return out
    ptr = np.arange(orbits + 1, dtype=np.int64) * per_row
    cols = np.empty(orbits * per_row, np.int32)
    for start in range(0, len(cols), 1 << 26):
        stop = min(len(cols), start + (1 << 26))
        cols[start:stop] = rng.integers(0, orbits, size=stop - start, dtype=np.int32)
    empty_ptr, empty_cols = np.zeros(orbits + 1, np.int64), np.zeros(0, np.int32)
    c, diag, sqrt_size = rng.standard_normal(orbits), rng.standard_normal(orbits), np.ones(orbits)
    scaled, result = np.r_[c, 0.0], np.empty(orbits)
    times = []
    with representatives._threads(threads):
        for _ in range(3):
            cpu, wall = time.process_time(), time.perf_counter()
            kernels.matvec(c, scaled, diag, ptr, cols, 0.5, empty_ptr, empty_cols, 0.0, sqrt_size, result)
            times.append((time.process_time() - cpu, time.perf_counter() - wall))
    out["matvec_cpu_s"], out["matvec_wall_s"] = min(t[0] for t in times[1:]), min(t[1] for t in times[1:])
    out["peak_rss_gb"] = _peak_rss_gb()
    out["lanczos_cpu_s_per_100_matvec"] = 100 * out["matvec_cpu_s"]
    print(json.dumps(out, indent=2), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="out/magnet_36", type=Path)
    parser.add_argument("--lattice", default="square")
    parser.add_argument("--shape", nargs=2, type=int, default=[6, 6])
    parser.add_argument("--j2", nargs="+", type=float, default=[0.5, 0.0])
    parser.add_argument("--tol", type=float, default=1e-12, help="ARPACK's relative tolerance")
    parser.add_argument("--ncv", type=int, default=representatives.NCV, help="ARPACK's Lanczos vectors")
    parser.add_argument("--threads", type=int, default=None, help="numba threads (default: all cores)")
    parser.add_argument("--max-memory-gb", type=float, default=20.0)
    parser.add_argument("--no-save-sector", action="store_true", help="do not write the sector (~5.5 GB at 6x6)")
    parser.add_argument("--estimate", action="store_true", help="measure the cost per hop on synthetic data only")
    parser.add_argument("--no-matvec", action="store_true", help="with --estimate: skip the matvec (~5.5 GB at 6x6)")
    args = parser.parse_args()

    shape = tuple(args.shape)
    if args.estimate:
        estimate(args.lattice, shape, args.threads, matvec=not args.no_matvec)
        return
    lattice = make_lattice(args.lattice, shape)
    tag = f"{args.lattice}_{shape[0]}x{shape[1]}"
    args.out.mkdir(parents=True, exist_ok=True)
    summary = {"lattice": args.lattice, "shape": list(shape), "cores": os.cpu_count(),
               "load_average": os.getloadavg()[0], "orbits": representatives.n_orbits(lattice),
               "estimated_peak_gb": round(representatives.memory_bytes(lattice, ncv=args.ncv) / 1e9, 2),
               "ncv": args.ncv, "tol": args.tol, "stages": {}, "results": {}}
    print(f"{tag}: {summary['orbits']} orbits, estimated peak {summary['estimated_peak_gb']} GB", flush=True)

    start = time.perf_counter()
    sector = None
    sector_dir = args.out / f"sector_{tag}"

    def get_sector():
        nonlocal sector
        if sector is None:
            if (sector_dir / "meta.json").exists():
                with _Stage("load sector", summary):
                    sector = representatives.load_sector(sector_dir)
            else:
                with _Stage("build sector", summary):
                    sector = representatives.build_sector(args.lattice, shape, max_memory_gb=args.max_memory_gb,
                                                          n_threads=args.threads, ncv=args.ncv)
                if not args.no_save_sector:
                    with _Stage("save sector", summary):
                        sector.save(sector_dir)
            summary["hops"] = int(len(sector.nn_cols) + len(sector.nnn_cols))
        return sector

    for j2 in args.j2:
        path = args.out / representatives.ground_state_filename(args.lattice, shape, j2)
        if path.exists():
            print(f"== J2 = {j2:g}: {path} exists, loading it", flush=True)
            gs = representatives.load_ground_state(path)
        else:
            sec = get_sector()
            with _Stage(f"Lanczos J2={j2:g}", summary):
                gs = sec.lowest(j2, tol=args.tol, ncv=args.ncv, n_threads=args.threads)
            gs.save(path)
        published = PUBLISHED.get((shape, j2)) if args.lattice == "square" else None
        result = {"energy": gs.energy, "energy_per_site": gs.energy / lattice.n_sites, "residual": gs.residual,
                  "n_matvec": gs.n_matvec, "published": published,
                  "marshall_violation": _marshall_violation(gs) if (lattice.n_sites // 2) % 2 == 0 else None,
                  "file": str(path)}
        summary["results"][f"{j2:g}"] = result
        print(f"J2 = {j2:g}: {json.dumps(result)}", flush=True)
    summary["total_wall_s"] = round(time.perf_counter() - start, 1)
    summary["peak_rss_gb"] = round(_peak_rss_gb(), 2)
    atomic_write_text(args.out / f"summary_{tag}.json", json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
