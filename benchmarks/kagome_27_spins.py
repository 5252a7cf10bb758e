"""Ground-state energy of the 27-site kagome torus (3 x 3 cells, J1 = 1, J2 = 0, S = sigma/2) at Sz = +1/2:
the project's ED against QuSpin's own Hamiltonian in every momentum class.

    nice -n 10 python benchmarks/kagome_27_spins.py --out docs/kagome_27

An odd number of sites has no Sz = 0 state; ``ed.ground_state`` works at Sz = +1/2 there (``ed.up_spins``).
Its sectors have real characters, so on a length-3 axis only zero momentum: it scans the four one-dimensional
irreducible representations of C6v at Gamma. QuSpin diagonalizes the Hamiltonian written from the torus's
bonds (``spin_basis_general`` with translation blocks only, its own ``hamiltonian``) at one momentum of each
class the point group makes of the 3 x 3 momenta: Gamma (1), K (2) and the other six; at Gamma it holds every
point-group representation, two-dimensional ones included, so the two answers at Gamma must agree exactly
when the Gamma ground state lies in a one-dimensional representation.

QuSpin also builds each of the project's four sectors at Gamma (the characters of R6 and M, with its own
Hamiltonian): the same sector energies, from matrix elements computed independently of the project's.

Resumable: each computation is one entry of ``<out>/results.json`` (energy, sector size, wall and CPU time,
peak resident memory so far), merged in whole after it ends and skipped when present, so processes that split
the entries by ``--only`` may share one ``--out``.
"""
from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np

from keras_imnn.atomic import atomic_write_text
from keras_imnn.physics.magnet import ed
from keras_imnn.physics.magnet.lattices import make_lattice

SHAPE = (3, 3)
N_SITES = 27
#: One momentum (q1, q2) (character exp(-2 pi i q . n / 3) of the shift by n1 a1 + n2 a2) of each class of C6v.
MOMENTA = {"Gamma": (0, 0), "K": (1, 2), "other": (1, 0)}


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _project(sector: ed.Sector | str = "auto") -> dict:
    gs = ed.ground_state("kagome", SHAPE, 0.0, sector=sector, expand=False)
    return {"energy": gs.energy, "sector": ed.sector_label(gs.sector), "sector_dim": gs.sector_dim,
            "sector_energies": gs.sector_energies, "gap_in_scanned_sectors": gs.gap}


def _quspin(momentum: tuple[int, int], point: dict[str, int] | None = None) -> dict:
    """Lowest energy at ``momentum``, in the sector of the point-group characters ``point`` (+1 / -1 of R6 and
    M, at Gamma only) if given."""
    import warnings

    from quspin.basis import spin_basis_general
    from quspin.operators import hamiltonian

    torus = make_lattice("kagome", SHAPE)
    n = torus.n_sites
    blocks = {"kxblock": (torus.translations["Tx"], momentum[0]), "kyblock": (torus.translations["Ty"], momentum[1])}
    orders = {"R6": 6, "M": 2}  # character -1 is QuSpin's block q = order / 2
    for g, c in (point or {}).items():
        blocks[f"{g}block"] = (torus.point_group[g], 0 if c == 1 else orders[g] // 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # QuSpin warns that R6 and M do not commute: harmless for 1-d characters
        basis = spin_basis_general(n, Nup=ed.up_spins(n), pauli=0, **blocks)
    pairs = [[1.0, int(i), int(j)] for i, j in torus.nn_bonds]
    hops = [[0.5, int(i), int(j)] for i, j in torus.nn_bonds]
    dtype = np.float64 if momentum == (0, 0) else np.complex128
    h = hamiltonian([["zz", pairs], ["+-", hops], ["-+", hops]], [], basis=basis, dtype=dtype,
                    check_symm=False, check_herm=False, check_pcon=False)
    energy = h.eigsh(k=1, which="SA", return_eigenvectors=False, tol=1e-12)[0]
    return {"energy": float(energy), "sector_dim": int(basis.Ns), "nnz": int(h.tocsr().nnz)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--only", nargs="+", choices=["project", "project Gamma", *MOMENTA],
                        help="these computations only (Gamma: QuSpin at Gamma and in the four sectors of the point "
                             "group; project Gamma: the project's ED on the momentum-only sector, every point-group "
                             "representation)")
    args = parser.parse_args(argv)
    path = args.out / "results.json"
    jobs = {"project": _project, "project Gamma": lambda: _project({"Tx": 1, "Ty": 1}),
            **{f"quspin {name}": (lambda q=q: _quspin(q)) for name, q in MOMENTA.items()}}
    for r6, m in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
        jobs[f"quspin Gamma R6={r6:+d},M={m:+d}"] = lambda p={"R6": r6, "M": m}: _quspin((0, 0), p)
    for name, job in jobs.items():
        done = json.loads(path.read_text()) if path.exists() else {}  # another process may have added some
        if name in done or (args.only and name.removeprefix("quspin ").split()[0] not in args.only
                            and name not in args.only):
            continue
        print(f"== {name}", flush=True)
        wall, cpu = time.perf_counter(), time.process_time()
        record = job()
        record.update(wall_s=round(time.perf_counter() - wall, 1), cpu_s=round(time.process_time() - cpu, 1),
                      peak_rss_gb=round(_peak_rss_gb(), 2), per_site=record["energy"] / N_SITES)
        print(json.dumps(record), flush=True)
        args.out.mkdir(parents=True, exist_ok=True)
        results = {**(json.loads(path.read_text()) if path.exists() else {}), name: record}
        atomic_write_text(path, json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
