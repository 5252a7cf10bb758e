"""Is ``ground_state``'s real-character scan's E0 the whole Sz sector's? Checked by hand beyond the 200 000 states
where ``sector="auto"`` checks it itself (``ed.FULL_SECTOR_CHECK_STATES``).

    python benchmarks/ed_full_sector_check.py square 6 4 0.5      # 2 704 156 states: ~95 s, 3.6 GB

The whole sector's Hamiltonian is built by QuSpin's own ``hamiltonian`` (no symmetry, S = σ/2, the lattice's J1 and
J2 bonds), independently of ``ed``'s orbit code, and its lowest level compared with the scan's.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from quspin.basis import spin_basis_general
from quspin.operators import hamiltonian

from keras_imnn.physics.magnet.ed import ground_state, up_spins
from keras_imnn.physics.magnet.lattices import make_lattice


def whole_sector_e0(lattice: str, shape: tuple[int, int], j2: float, j1: float = 1.0) -> tuple[float, int]:
    """Lowest level of the whole Sz sector and its dimension."""
    lat = make_lattice(lattice, shape)
    basis = spin_basis_general(lat.n_sites, Nup=up_spins(lat.n_sites), pauli=0)
    bonds = [[j1, int(i), int(j)] for i, j in lat.nn_bonds] + [[j2, int(i), int(j)] for i, j in lat.nnn_bonds]
    flips = [[0.5 * c, i, j] for c, i, j in bonds]  # S_i·S_j = S^z S^z + (S^+ S^- + S^- S^+) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # QuSpin warns of the skipped checks (minutes each at 2.7 M states)
        h = hamiltonian([["zz", bonds], ["+-", flips], ["-+", flips]], [], basis=basis,
                        dtype=np.float64, check_symm=False, check_herm=False, check_pcon=False)
    return float(h.eigsh(k=1, which="SA", return_eigenvectors=False, tol=1e-10)[0]), int(basis.Ns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lattice")
    parser.add_argument("shape", nargs=2, type=int)
    parser.add_argument("j2", type=float)
    args = parser.parse_args()
    began = time.perf_counter()
    scan = ground_state(args.lattice, tuple(args.shape), args.j2, expand=False, progress=False)
    e0, dim = whole_sector_e0(args.lattice, tuple(args.shape), args.j2)
    print(f"{args.lattice} {args.shape[0]}x{args.shape[1]}, J2 = {args.j2:g}: scan E0 = {scan.energy:.10f} "
          f"(sector {scan.sector}); whole Sz sector ({dim} states) E0 = {e0:.10f}; scan - whole = "
          f"{scan.energy - e0:.1e} ({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
