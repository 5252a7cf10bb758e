"""Wall time and peak RSS of ``ground_state`` on 6x4 lattices: the default scan of all real-character
sectors next to the symmetric sector alone, each expanded to all 2 704 156 Sz = 0 states.

    PYTHONPATH=. python benchmarks/bench_magnet_ed.py

Every call runs in a fresh process, as a new user's first call would (QuSpin's import included), so
that its peak RSS is its own.
"""
import json
import os
import resource
import subprocess
import sys
import time

CASES = [("square", 0.0), ("square", 0.5), ("triangular", 1.3)]  # triangular J2 = 1.3: README's comparison


def _one(lattice: str, j2: float, sector: str) -> None:
    from keras_imnn.physics.magnet.ed import ground_state, sector_label

    start = time.perf_counter()
    gs = ground_state(lattice, (6, 4), j2, sector=sector, progress=False)
    wall = time.perf_counter() - start
    print(json.dumps({"energy": gs.energy, "sector": sector_label(gs.sector), "gap": gs.gap, "dim": gs.sector_dim,
                      "n_sectors": len(gs.sector_energies), "wall": wall,
                      "rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))


def main() -> None:
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
    print(f"{'6x4 lattice':<16} {'E0':>15}  {'ground sector':<30} {'gap':>7}  "
          f"{'default (all sectors)':>22}  {'sector=symmetric':>17}")
    for lattice, j2 in CASES:
        runs = {}
        for sector in ("auto", "symmetric"):
            out = subprocess.run([sys.executable, __file__, lattice, str(j2), sector], check=True,
                                 capture_output=True, text=True).stdout
            runs[sector] = json.loads(out.splitlines()[-1])
        auto, symmetric = runs["auto"], runs["symmetric"]
        note = "" if auto["sector"] == symmetric["sector"] else f"  (symmetric sector: E = {symmetric['energy']:.10f})"
        print(f"{lattice + f' J2={j2}':<16} {auto['energy']:15.10f}  {auto['sector']:<30} {auto['gap']:7.4f}  "
              f"{auto['wall']:5.1f} s, {auto['n_sectors']:2d} sectors, {auto['rss_gb']:.2f} GB  "
              f"{symmetric['wall']:5.1f} s, {symmetric['rss_gb']:.2f} GB{note}")
    print(f"load average after: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    if len(sys.argv) == 4:
        _one(sys.argv[1], float(sys.argv[2]), sys.argv[3])
    else:
        main()
