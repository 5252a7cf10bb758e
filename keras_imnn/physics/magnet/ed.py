"""Exact diagonalization of the spin-1/2 J1-J2 Heisenberg model in symmetry sectors (QuSpin).

    H = J1 sum_nn S_i . S_j + J2 sum_nnn S_i . S_j,   S = sigma / 2,

so energies here are 1/4 of those of codes that write H with Pauli matrices. Everything is in
the Sz = 0 sector. The problem is reduced with QuSpin's ``spin_basis_general`` to a sector
labelled by characters (+1 or -1) of the lattice's translations, point-group generators and the
global spin flip ``Z``; the ground state is then expanded to the full Sz = 0 basis.

State integers follow the project convention: bit ``i`` set = spin up at site ``i``, sites
row-major (``i = x * Ly + y``). QuSpin stores site ``i`` in bit ``N - 1 - i``; the conversion
happens here and nowhere else. QuSpin comes with the ``magnet`` extra only: without it,
``ground_state`` raises :class:`MissingQuSpinError`, which says how to install it.
"""
from __future__ import annotations

import functools
import itertools
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from keras_imnn.errors import UserError
from keras_imnn.physics.magnet.lattices import Lattice, make_lattice
from keras_imnn.physics.memory import check_memory

Sector = dict[str, int]


class MissingQuSpinError(UserError, ImportError):
    """QuSpin is not installed: it comes with the ``magnet`` extra only (it weighs ~0.7 GB)."""


def _quspin():
    """The ``quspin`` package, or one clear error naming the extra that installs it."""
    try:
        import quspin.basis
        import quspin.operators
    except ImportError as err:
        raise MissingQuSpinError(
            f"exact diagonalization needs QuSpin, which keras_imnn installs only with its magnet extra: "
            f'pip install "keras_imnn[magnet]" ({err})') from err
    return quspin


@dataclass(frozen=True)
class GroundState:
    """Ground state of the J1-J2 model in one symmetry sector.

    Attributes:
        lattice: the lattice.
        j1, j2: couplings (energy units of J1 when ``j1 = 1``).
        energy: ground-state energy E0 (S = sigma/2 convention), not per site.
        sector: characters of the sector used, e.g. ``{"Tx": 1, "Ty": 1, "Px": 1, "Py": 1,
            "Z": 1}``; a +1 for translation ``Tx`` means momentum kx = 0, -1 means kx = pi.
        sector_dim: dimension of the reduced sector that was diagonalized.
        sector_energies: lowest energy of every sector that was diagonalized, keyed by
            ``sector_label``; more than one entry when the sector was found by a scan.
        gap: E1 - E0 over all diagonalized sectors (NaN if only one level was computed);
            ~0 means the ground state is degenerate and its sign structure is not unique.
        states: ``(D,)`` uint64, all Sz = 0 states in increasing order (None if not expanded).
        amplitudes: ``(D,)`` float64, normalized, real; the global sign makes the largest
            amplitude (lowest state among ties) positive. None if not expanded.
    """

    lattice: Lattice
    j1: float
    j2: float
    energy: float
    sector: Sector
    sector_dim: int
    sector_energies: dict[str, float] = field(repr=False)
    gap: float
    states: np.ndarray | None = field(default=None, repr=False)
    amplitudes: np.ndarray | None = field(default=None, repr=False)

    @property
    def weights(self) -> np.ndarray:
        """``(D,)`` |psi|^2."""
        return np.square(self._expanded().amplitudes)

    @property
    def signs(self) -> np.ndarray:
        """``(D,)`` uint8 sign labels, 1 = negative amplitude (the models' positive class)."""
        return (self._expanded().amplitudes < 0).astype(np.uint8)

    def spins(self, index: np.ndarray | slice = slice(None)) -> np.ndarray:
        """``(n, Lx, Ly, 1)`` uint8 0/1 spins (1 = up) of ``states[index]``."""
        return states_to_spins(self._expanded().states[index], self.lattice.shape)

    def _expanded(self) -> GroundState:
        if self.states is None:
            raise ValueError("ground state was not expanded to the full basis (expand=False)")
        return self


def states_to_spins(states: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Integers (bit i = up at site i) -> ``(n, Lx, Ly, 1)`` uint8 0/1 arrays."""
    n_sites = shape[0] * shape[1]
    bits = (np.asarray(states, dtype=np.uint64)[:, None] >> np.arange(n_sites, dtype=np.uint64)) & np.uint64(1)
    return bits.astype(np.uint8).reshape(-1, shape[0], shape[1], 1)


def spins_to_states(spins: np.ndarray) -> np.ndarray:
    """``(n, Lx, Ly[, 1])`` 0/1 arrays -> uint64 integers (bit i = up at site i)."""
    spins = np.asarray(spins)
    if spins.ndim == 4 and spins.shape[-1] == 1:
        spins = spins[..., 0]
    if spins.ndim != 3 or not np.isin(spins, (0, 1)).all():
        raise ValueError(f"spins must be 0/1 with shape (n, Lx, Ly[, 1]), got shape {spins.shape}")
    flat = spins.reshape(len(spins), -1).astype(np.uint64)
    return (flat << np.arange(flat.shape[1], dtype=np.uint64)).sum(axis=1, dtype=np.uint64)


def permute_states(states: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """Move the spin at site ``i`` to site ``perm[i]`` in every state; ``(n,)`` uint64."""
    states = np.asarray(states, dtype=np.uint64)
    out = np.zeros_like(states)
    for i, j in enumerate(perm):
        out |= ((states >> np.uint64(i)) & np.uint64(1)) << np.uint64(j)
    return out


def _reverse_bits(states: np.ndarray, n_sites: int) -> np.ndarray:
    """QuSpin <-> project integer order (site i at bit N-1-i <-> bit i); an involution."""
    return permute_states(states, np.arange(n_sites)[::-1])


def sector_label(sector: Sector) -> str:
    """``{"Tx": 1, "Z": -1}`` -> ``"Tx=+1,Z=-1"``."""
    return ",".join(f"{name}={value:+d}" for name, value in sector.items())


def symmetric_sector(lattice: Lattice) -> Sector:
    """Zero momentum, every point-group character +1, and ``Z = (-1)^(N/2)`` (a singlet's)."""
    sector = {name: 1 for name in lattice.generators}
    sector["Z"] = -1 if (lattice.n_sites // 2) % 2 else 1
    return sector


def candidate_sectors(lattice: Lattice) -> list[Sector]:
    """All sectors with real characters: momenta 0 / pi, the point-group generators that keep
    that momentum, and both spin-flip characters."""
    lx, ly = lattice.shape
    sectors = []
    for tx, ty in itertools.product((1, -1) if lx % 2 == 0 else (1,), (1, -1) if ly % 2 == 0 else (1,)):
        # Diagonal mirrors swap kx and ky, so they only label sectors with kx = ky.
        point_group = [g for g in lattice.point_group if g in ("Px", "Py", "I") or tx == ty]
        for chars in itertools.product((1, -1), repeat=len(point_group) + 1):
            sector = {"Tx": tx, "Ty": ty, **dict(zip(point_group, chars[:-1])), "Z": chars[-1]}
            # Py = Pd Px Pd on the square: in a 1D representation they share a character.
            if "Pd" in sector and "Px" in sector and sector["Px"] != sector["Py"]:
                continue
            sectors.append(sector)
    return sectors


def _quspin_blocks(lattice: Lattice, sector: Sector) -> dict[str, tuple[np.ndarray, int]]:
    """Sector characters -> QuSpin ``**blocks`` (eigenvalue exp(-2 pi i q / cycle))."""
    lx, ly = lattice.shape
    cycles = {"Tx": lx, "Ty": ly}
    perms = {**lattice.generators, "Z": -(np.arange(lattice.n_sites) + 1)}
    blocks = {}
    for name, char in sector.items():
        if name not in perms or char not in (1, -1):
            raise ValueError(f"bad sector entry {name}={char}; generators {sorted(perms)}, characters +1/-1")
        cycle = cycles.get(name, 2)
        if char == -1 and cycle % 2:
            raise ValueError(f"{name} has odd cycle {cycle}: its character cannot be -1")
        blocks[f"{name}block"] = (perms[name], 0 if char == 1 else cycle // 2)
    return blocks


@functools.lru_cache(maxsize=64)
def _sector_operators(name: str, shape: tuple[int, int], sector_items: tuple) -> tuple:
    """QuSpin basis of a sector and the J1 / J2 parts of H in it (cached: a J2 scan reuses them).

    Returns (basis, h_nn, h_nnn) with H = j1 * h_nn + j2 * h_nnn as CSR matrices.
    """
    spin_basis_general = _quspin().basis.spin_basis_general
    lattice = make_lattice(name, shape)
    n = lattice.n_sites
    with warnings.catch_warnings():
        # QuSpin warns about non-commuting generators (mirrors vs translations); the sectors
        # built by candidate_sectors only use characters that are consistent with them.
        warnings.simplefilter("ignore")
        basis = spin_basis_general(n, Nup=n // 2, pauli=0, **_quspin_blocks(lattice, dict(sector_items)))
    if basis.Ns == 0:
        return basis, None, None
    # QuSpin's OpenMP threads spin-wait; on small sectors and busy machines that costs 10x.
    with threadpool_limits(1 if basis.Ns < 100_000 else None, user_api="openmp"):
        h_nn, h_nnn = (_sector_matrix(basis, lattice, bonds) for bonds in (lattice.nn_bonds, lattice.nnn_bonds))
    return basis, h_nn, h_nnn


def _sector_matrix(basis, lattice: Lattice, bonds: np.ndarray) -> scipy.sparse.csr_matrix:
    """Sum over ``bonds`` of S_i . S_j in a QuSpin sector basis."""
    hamiltonian = _quspin().operators.hamiltonian
    n = lattice.n_sites
    bits = (basis.states[:, None].astype(np.uint64) >> np.arange(n, dtype=np.uint64)[::-1]) & np.uint64(1)
    up = bits.astype(bool)  # up[:, i] = spin up at site i (QuSpin puts site i at bit N-1-i)
    # Both hops are needed: QuSpin only gives correct sector matrices for operators that are
    # invariant under the group. The diagonal is computed with numpy because QuSpin would
    # search symmetry representatives even for Sz Sz (40% of its build time).
    couplings = [[0.5, int(i), int(j)] for i, j in bonds]
    with warnings.catch_warnings():
        # A character -1 of a cycle-L translation is exp(-i pi) to QuSpin: complex up to
        # 1e-16, so it warns about dropping imaginary parts that are rounding noise.
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        hop = hamiltonian(
            [["+-", couplings], ["-+", couplings]], [], basis=basis, dtype=np.float64,
            check_symm=False, check_herm=False, check_pcon=False,
        ).tocsr()
    diag = 0.25 * np.where(up[:, bonds[:, 0]] == up[:, bonds[:, 1]], 1.0, -1.0).sum(axis=1)
    return (hop + scipy.sparse.diags(diag)).tocsr()


def _lowest(h: scipy.sparse.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k lowest eigenpairs, dense for tiny sectors; a fixed start vector keeps runs reproducible."""
    if h.shape[0] <= 64:
        w, v = np.linalg.eigh(h.toarray())
        return w[:k], v[:, :k]
    v0 = np.random.default_rng(0).standard_normal(h.shape[0])
    w, v = scipy.sparse.linalg.eigsh(h, k=k, which="SA", v0=v0, tol=1e-12)
    order = np.argsort(w)
    return w[order], v[:, order]


def _fix_global_sign(amplitudes: np.ndarray) -> np.ndarray:
    magnitude = np.abs(amplitudes)
    first_max = np.flatnonzero(magnitude >= magnitude.max() * (1 - 1e-6))[0]
    return amplitudes if amplitudes[first_max] > 0 else -amplitudes


def _expand(basis, vector: np.ndarray, n_sites: int) -> tuple[np.ndarray, np.ndarray]:
    """Reduced-sector vector -> (states in increasing project order, amplitudes)."""
    spin_basis_general = _quspin().basis.spin_basis_general
    full = basis.project_from(vector, sparse=False, pcon=True)
    if np.iscomplexobj(full):
        if np.abs(full.imag).max() > 1e-10:
            raise RuntimeError("expanded ground state is not real: sector characters are complex")
        full = full.real
    full_basis = spin_basis_general(n_sites, Nup=n_sites // 2, pauli=0)
    states = _reverse_bits(full_basis.states, n_sites)  # .states is a view: keep the basis alive
    order = np.argsort(states)
    return states[order], np.ascontiguousarray(full[order], dtype=np.float64)


def _sectors_memory_bytes(lattice: Lattice, n_sectors: int) -> float:
    """Peak memory of diagonalizing ``n_sectors`` sectors, closed form, on the safe side.

    A sector holds about C(N, N/2) / (2 |G|) states (Sz = 0 states over the lattice group and the
    spin flip; within 10 % for N >= 20). Its two CSR matrices (~N non-zeros a row each, 12 bytes a
    non-zero) stay cached (``_sector_operators``): measured 1040 and 851 bytes a state at N = 28 and
    30, counted as 32 N + 128. Building them, or the Lanczos run on j1 h_nn + j2 h_nnn (two scaled
    copies, their sum and ARPACK's 20 vectors), adds a transient for one sector at a time: measured
    up to 915 and 1130 bytes a state at N = 28 and 30, counted as 48 N + 200.
    """
    n = lattice.n_sites
    dim = math.comb(n, n // 2) / (2 * lattice.group_order)
    return dim * (n_sectors * (32 * n + 128) + 48 * n + 200)


def _expand_memory_bytes(n_sites: int) -> float:
    """Peak memory of :func:`_expand` and the sign fix for all C(N, N/2) states: the dense
    projection, QuSpin's full basis, the bit reversal's uint64 temporaries, the sort order and the
    results. Measured 60 and 57 bytes a state at N = 24 and 28, counted as 80 (QuSpin's basis
    states take 8 bytes instead of 4 beyond 32 sites)."""
    return 80 * math.comb(n_sites, n_sites // 2)


def ground_state(
    lattice: str,
    shape: tuple[int, int] | list[int],
    j2: float,
    j1: float = 1.0,
    sector: Sector | str = "auto",
    expand: bool = True,
    progress: bool = True,
    max_memory_gb: float | None = None,
) -> GroundState:
    """Ground state of the J1-J2 Heisenberg model (S = sigma/2) in the Sz = 0 sector.

    Args:
        lattice: ``"square"`` or ``"triangular"`` (see ``lattices``).
        shape: ``(Lx, Ly)``.
        j2, j1: couplings.
        sector: ``"auto"`` diagonalizes every real-character sector (``candidate_sectors``) and
            keeps the lowest; ``"symmetric"`` uses ``symmetric_sector`` only (the ground state
            for the unfrustrated square lattice and moderate J2); or an explicit dict of
            characters such as ``{"Tx": 1, "Ty": -1, "Px": 1, "Py": 1, "Z": 1}``.
        expand: also return all C(N, N/2) Sz = 0 states and amplitudes (8 bytes each, twice, and
            about 80 a state while expanding; only feasible up to ~30 spins).
        progress: tqdm bar over the sectors.
        max_memory_gb: refuse (:class:`~keras_imnn.physics.memory.MemoryLimitError`, before any
            work) when the estimated peak memory exceeds this; None = ``$KERAS_IMNN_MAX_MEMORY_GB``,
            else 80 % of the available memory (:mod:`keras_imnn.physics.memory`).

    Returns:
        ``GroundState``; with ``sector="auto"``, ``gap`` is the distance to the next level
        over all scanned sectors.
    """
    _quspin()  # before any other work: without the magnet extra, nothing below can run
    for value, label in ((j1, "j1"), (j2, "j2")):
        if not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value):
            raise ValueError(f"{label} must be a finite number, got {value!r}")
    if j1 == 0 and j2 == 0:
        raise ValueError("j1 and j2 are both 0: the Hamiltonian is zero and every state is a ground state")
    lat = make_lattice(lattice, shape)
    if sector == "auto":
        sectors = candidate_sectors(lat)
    elif sector == "symmetric":
        sectors = [symmetric_sector(lat)]
    elif isinstance(sector, dict):
        sectors = [dict(sector)]
    else:
        raise ValueError(f"sector must be 'auto', 'symmetric' or a dict of characters, got {sector!r}")
    what = f"ED of {lattice} {lat.shape[0]}x{lat.shape[1]} in {len(sectors)} sector(s)"
    sectors_bytes = _sectors_memory_bytes(lat, len(sectors))
    smaller = "use a smaller lattice" + (" or sector='symmetric'" if len(sectors) > 1 else "")
    check_memory(sectors_bytes, what, smaller, max_memory_gb)
    if expand:
        # The expansion runs while every sector's matrices are still cached: the two add up.
        n_full = math.comb(lat.n_sites, lat.n_sites // 2)
        check_memory(sectors_bytes + _expand_memory_bytes(lat.n_sites),
                     f"{what} expanded to all {n_full:.3g} Sz = 0 states", "pass expand=False", max_memory_gb)

    levels = []  # (energy, sector index, level in sector)
    best = None
    bar = tqdm(sectors, desc=f"ED {lattice} {lat.shape}", disable=not progress or len(sectors) == 1)
    for index, sec in enumerate(bar):
        basis, h_nn, h_nnn = _sector_operators(lat.name, lat.shape, tuple(sec.items()))
        if h_nn is None:
            continue
        energies, vectors = _lowest(j1 * h_nn + j2 * h_nnn, k=min(2, basis.Ns))
        levels += [(e, index, k) for k, e in enumerate(energies)]
        if best is None or energies[0] < best[0]:
            best = (energies[0], index, basis, vectors[:, 0])
    if best is None:
        raise ValueError(f"every requested sector is empty: {[sector_label(s) for s in sectors]}")
    energy, index, basis, vector = best
    levels.sort()
    gap = levels[1][0] - levels[0][0] if len(levels) > 1 else float("nan")
    sector_energies = {}
    for e, i, _ in levels:
        sector_energies.setdefault(sector_label(sectors[i]), float(e))
    states = amplitudes = None
    if expand:
        states, amplitudes = _expand(basis, vector, lat.n_sites)
        amplitudes = _fix_global_sign(amplitudes)
    return GroundState(
        lattice=lat, j1=float(j1), j2=float(j2), energy=float(energy), sector=sectors[index],
        sector_dim=int(basis.Ns), sector_energies=sector_energies, gap=float(gap),
        states=states, amplitudes=amplitudes,
    )
