"""The J1-J2 Heisenberg Hamiltonian built by QuSpin itself (its basis and ``hamiltonian``), S = sigma/2: the
independent reference the ED tests check the project's sector matrices against."""
from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
from scipy.sparse.linalg import eigsh
from threadpoolctl import threadpool_limits


def quspin_lowest(n_sites: int, nn: Iterable, nnn: Iterable, j2: float, n_up: int,
                  blocks: dict | None = None) -> tuple[int, float]:
    """(dimension, lowest energy) of the ``n_up`` sector, restricted to QuSpin ``blocks`` where given."""
    from quspin.basis import spin_basis_general
    from quspin.operators import hamiltonian

    couplings = [[1.0, int(i), int(j)] for i, j in nn] + [[j2, int(i), int(j)] for i, j in nnn]
    half = [[0.5 * c, i, j] for c, i, j in couplings]
    # QuSpin's OpenMP threads spin-wait: on small sectors of a busy machine that costs 10x.
    with warnings.catch_warnings(), threadpool_limits(1, user_api="openmp"):
        warnings.simplefilter("ignore")  # non-commuting generators; imaginary parts of exp(-i pi)
        basis = spin_basis_general(n_sites, Nup=n_up, pauli=0, **(blocks or {}))
        h = hamiltonian([["+-", half], ["-+", half], ["zz", couplings]], [], basis=basis, dtype=np.float64,
                        check_symm=False, check_herm=False, check_pcon=False).tocsr()
    if basis.Ns <= 64:
        return basis.Ns, float(np.linalg.eigvalsh(h.toarray())[0])
    return basis.Ns, float(eigsh(h, k=1, which="SA")[0][0])
