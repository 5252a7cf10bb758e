"""Is ``ground_state``'s real-character scan's E0 the whole Sz sector's? ``sector="auto"`` checks it itself up to
``ed.FULL_SECTOR_CHECK_STATES`` (200 000) Sz states; this runs the same check on larger lattices.

    python benchmarks/ed_full_sector_check.py square 6 4 0.5      # 2 704 156 states
"""
from __future__ import annotations

import argparse
import time

from keras_imnn.physics.magnet.ed import ground_state, whole_sector_e0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lattice")
    parser.add_argument("shape", nargs=2, type=int)
    parser.add_argument("j2", type=float)
    args = parser.parse_args()
    began = time.perf_counter()
    try:
        scan = ground_state(args.lattice, tuple(args.shape), args.j2, expand=False, progress=False)
        e0 = whole_sector_e0(scan.lattice, 1.0, args.j2)
    except ValueError as e:  # unknown lattice, bad size or J2, or more memory than the machine has
        parser.error(str(e))
    print(f"{args.lattice} {args.shape[0]}x{args.shape[1]}, J2 = {args.j2:g}: scan E0 = {scan.energy:.10f} "
          f"(sector {scan.sector}); whole Sz sector E0 = {e0:.10f}; scan - whole = {scan.energy - e0:.1e} "
          f"({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
