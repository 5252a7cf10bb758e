"""Exact diagonalization of the spin-1/2 J1-J2 Heisenberg model in symmetry sectors (QuSpin).

    H = J1 sum_nn S_i . S_j + J2 sum_nnn S_i . S_j,   S = sigma / 2,

so energies here are 1/4 of those of codes that write H with Pauli matrices. Everything is in
one Sz sector, chosen from the number of sites N (``up_spins``): Sz = 0 for even N, Sz = +1/2 for odd N
(where no Sz = 0 state exists; every level with total spin S >= 1/2 has a member there, and the
Sz = -1/2 sector is its mirror under the spin flip). The problem is reduced to sectors labelled by
characters (+1 or -1) of the lattice's translations, point-group generators and, at Sz = 0 only, the
global spin flip ``Z``; the ground state is then expanded to the full basis of the Sz sector.
QuSpin's ``spin_basis_general`` finds one state per orbit of the symmetry group; the orbits, and the hops
of H between them, are shared by every sector of that group and built once (``_orbits``), so that a
sector's matrix is only a choice of signs and a scan of all sectors costs little more than their Lanczos runs.

State integers follow the project convention: bit ``i`` set = spin up at site ``i``, sites
row-major over the ``(L1, L2, k)`` array of cells and sublattices (``i = (x * L2 + y) * k + s``; ``i = x * Ly + y``
with one site per cell), see :mod:`keras_imnn.lattices`. QuSpin stores site ``i`` in bit ``N - 1 - i``; the conversion
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
from keras_imnn.lattices import Torus
from keras_imnn.physics.magnet.lattices import make_lattice
from keras_imnn.physics.memory import check_memory

Sector = dict[str, int]
# Up to this many states in the Sz sector, ``sector="auto"`` also diagonalizes the whole sector (a second or so).
FULL_SECTOR_CHECK_STATES = 200_000


class MissedGroundStateWarning(UserWarning):
    """The real-character sectors of ``sector="auto"`` hold no ground state: it lies at complex momentum or in a
    two-dimensional representation of the point group (degenerate there, so its real sign structure is not unique)."""


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
        states: ``(D,)`` uint64, all states of the Sz sector (``up_spins`` up) in increasing order (None if
            not expanded).
        amplitudes: ``(D,)`` float64, normalized, real; the global sign makes the largest
            amplitude (lowest state among ties) positive. None if not expanded.
    """

    lattice: Torus
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
        """``(n, L1, L2, k)`` uint8 0/1 spins (1 = up) of ``states[index]``, k sites per cell."""
        return states_to_spins(self._expanded().states[index], self.lattice.feature_shape)

    def _expanded(self) -> GroundState:
        if self.states is None:
            raise ValueError("ground state was not expanded to the full basis (expand=False)")
        return self


def states_to_spins(states: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Integers (bit i = up at site i) -> ``(n, L1, L2, k)`` uint8 0/1 arrays; ``shape`` is ``(L1, L2)`` (k = 1)
    or a torus's ``feature_shape`` ``(L1, L2, k)``."""
    shape = (*shape, 1) if len(shape) == 2 else tuple(shape)
    n_sites = math.prod(shape)
    bits = (np.asarray(states, dtype=np.uint64)[:, None] >> np.arange(n_sites, dtype=np.uint64)) & np.uint64(1)
    return bits.astype(np.uint8).reshape(-1, *shape)


def spins_to_states(spins: np.ndarray) -> np.ndarray:
    """``(n, L1, L2[, k])`` 0/1 arrays -> uint64 integers (bit i = up at site i, row-major)."""
    spins = np.asarray(spins)
    if spins.ndim not in (3, 4) or not np.isin(spins, (0, 1)).all():
        raise ValueError(f"spins must be 0/1 with shape (n, Lx, Ly[, k]), got shape {spins.shape}")
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


def up_spins(n_sites: int) -> int:
    """Spins up in the Sz sector the ED works in: N/2 (Sz = 0) for even N, (N + 1)/2 (Sz = +1/2) for odd N."""
    return (n_sites + 1) // 2


def n_basis_states(n_sites: int) -> int:
    """States in that Sz sector, C(N, ``up_spins(N)``)."""
    return math.comb(n_sites, up_spins(n_sites))


def _symmetry_names(lattice: Torus) -> list[str]:
    """The generators a sector may name: the lattice's, and the spin flip ``Z`` where Sz = 0 (even N)."""
    return [*lattice.generators, *(["Z"] if lattice.n_sites % 2 == 0 else [])]


def sector_label(sector: Sector) -> str:
    """``{"Tx": 1, "Z": -1}`` -> ``"Tx=+1,Z=-1"``."""
    return ",".join(f"{name}={value:+d}" for name, value in sector.items())


def symmetric_sector(lattice: Torus) -> Sector:
    """Zero momentum, every point-group character +1, and ``Z = (-1)^(N/2)`` (a singlet's; no ``Z`` for odd N)."""
    sector = {name: 1 for name in lattice.generators}
    if lattice.n_sites % 2 == 0:
        sector["Z"] = -1 if (lattice.n_sites // 2) % 2 else 1
    return sector


def candidate_sectors(lattice: Torus) -> list[Sector]:
    """All sectors with real characters: momenta 0 / pi along a1 and a2, the point-group generators that keep
    that momentum (not a diagonal mirror or a 60° rotation where it maps kx = pi to ky = pi), and both
    spin-flip characters (at Sz = 0, even N); only characters of the group so made (e.g. Px = Py where Pd
    conjugates them). One-dimensional representations only: complex momenta (2 pi / 3 on a length-3 axis) and
    two-dimensional representations of the point group are not among them, so a ground state there is missed
    (kagome 3 x 3 at J2 = 0: docs/lattices.md); ``{"Tx": 1, "Ty": 1}`` alone holds every point-group
    representation at zero momentum."""
    lx, ly = lattice.shape
    flip = ["Z"] if lattice.n_sites % 2 == 0 else []
    sectors = []
    for tx, ty in itertools.product((1, -1) if lx % 2 == 0 else (1,), (1, -1) if ly % 2 == 0 else (1,)):
        momentum = {"Tx": tx, "Ty": ty}
        names = [g for g in lattice.point_group if _is_character(lattice, {**momentum, g: 1})] + flip
        for chars in itertools.product((1, -1), repeat=len(names)):
            sector = {**momentum, **dict(zip(names, chars))}
            if _is_character(lattice, sector):
                sectors.append(sector)
    return sectors


def _quspin_blocks(lattice: Torus, names: tuple[str, ...]) -> dict[str, tuple[np.ndarray, int]]:
    """QuSpin ``**blocks`` of the fully symmetric sector (every character +1) of the generators ``names``."""
    perms = {**lattice.generators, "Z": -(np.arange(lattice.n_sites) + 1)}
    return {f"{name}block": (perms[name], 0) for name in names}


@functools.lru_cache(maxsize=8)
def _group(name: str, shape: tuple[int, int], names: tuple[str, ...]) -> tuple[list, frozenset]:
    """The site permutations generated by the lattice generators in ``names`` (``Z`` aside).

    Returns ``(elements, relations)``: each element as ``(perm, parity)``, where bit k of the parity
    counts (mod 2) generator ``names[k]`` in one word that gives the element, and the parities of
    words equal to the identity. A real character of the group is a sign for every generator whose
    product over each relation is +1 (the relations of a breadth-first search of the Cayley graph
    generate all of them).
    """
    lattice = make_lattice(name, shape)
    generators = [(lattice.generators[g], 1 << k) for k, g in enumerate(names) if g != "Z"]
    identity = np.arange(lattice.n_sites)
    elements = {identity.tobytes(): (identity, 0)}
    frontier, relations = [(identity, 0)], set()
    while frontier:
        new = []
        for perm, parity in frontier:
            for generator, bit in generators:
                image = generator[perm]
                known = elements.get(image.tobytes())
                if known is None:
                    elements[image.tobytes()] = (image, parity ^ bit)
                    new.append((image, parity ^ bit))
                else:
                    relations.add(known[1] ^ parity ^ bit)
        frontier = new
    return list(elements.values()), frozenset(relations - {0})


def _odd_parities(names: tuple[str, ...], sector: Sector) -> np.ndarray:
    """``(2**len(names),)`` bool: which generator parities have character -1 in ``sector``."""
    minus = sum(1 << k for k, name in enumerate(names) if sector[name] == -1)
    return np.array([(p & minus).bit_count() % 2 == 1 for p in range(1 << len(names))])


def _is_character(lattice: Torus, sector: Sector) -> bool:
    """Whether the signs of ``sector`` are a character of the group its generators make (+1 on every relation)."""
    odd = _odd_parities(tuple(sector), sector)
    return not any(odd[r] for r in _group(lattice.name, lattice.shape, tuple(sector))[1])


def _check_sector(lattice: Torus, sector: Sector) -> None:
    names = _symmetry_names(lattice)
    for name, char in sector.items():
        if name not in names or char not in (1, -1):
            odd = " (no spin flip Z at Sz = +1/2, odd N)" if name == "Z" else ""
            raise ValueError(f"bad sector entry {name}={char}{odd}; generators {sorted(names)}, characters +1/-1")
    if not _is_character(lattice, sector):
        raise ValueError(f"sector {sector_label(sector)} is not a character of the lattice group (e.g. -1 on a "
                         f"translation of odd length, or Px != Py where Pd swaps them)")


def _binomials(n_sites: int) -> np.ndarray:
    """``(N + 1, N + 2)`` int64, ``comb(i, k)``."""
    return np.array([[math.comb(i, k) for k in range(n_sites + 2)] for i in range(n_sites + 1)], dtype=np.int64)


def _rank(states: np.ndarray, n_sites: int, perm: np.ndarray | None = None, flip: bool = False) -> np.ndarray:
    """Position of each state (moved by ``perm``, then flipped if ``flip``) among all states with as many
    up spins, in increasing order (``_basis_states``): the combinatorial number system, sum over the up
    sites p_0 < p_1 < ... of comb(p_k, k + 1)."""
    binomials = _binomials(n_sites)
    sources = np.arange(n_sites) if perm is None else np.argsort(perm)  # site t of the image is site sources[t]
    rank, ups = np.zeros(len(states), np.int64), np.zeros(len(states), np.int64)
    for target, source in enumerate(sources):
        up = ((states >> np.uint64(source)) & np.uint64(1)).astype(np.int64) ^ flip
        ups += up
        rank += up * binomials[target, ups]
    return rank


def _basis_states(n_sites: int) -> np.ndarray:
    """``(n_basis_states(N),)`` uint64, every state with ``up_spins(N)`` up in increasing order: by the
    upper half of the bits, then by the lower half, which holds the up spins the upper half leaves."""
    low_bits = n_sites // 2
    low = np.arange(1 << low_bits, dtype=np.uint64)
    low_by_ups = [low[np.bitwise_count(low) == k] for k in range(low_bits + 1)]
    high = np.arange(1 << (n_sites - low_bits), dtype=np.uint64)
    need = up_spins(n_sites) - np.bitwise_count(high).astype(np.int64)
    keep = (need >= 0) & (need <= low_bits)
    high, need = high[keep], need[keep]
    blocks = [low_by_ups[k] for k in need]
    return np.repeat(high << np.uint64(low_bits), [len(b) for b in blocks]) | np.concatenate(blocks)


@dataclass(frozen=True)
class _Orbits:
    """The basis states sorted into orbits of the group generated by ``names``: what every sector
    labelled by these generators needs, built once (the sectors differ only in the signs).

    For a real character chi, the sector basis state of an orbit O with representative r is
    |O> = sum_{s in O} chi(g_s) |s> / sqrt(|O|), g_s r = s; it exists when chi is +1 on the
    stabilizer of r. A hop s = g_s r' from r then gives <O'|H|O> = 1/2 J chi(g_s) sqrt(|O| / |O'|).
    """

    names: tuple[str, ...]
    orbit: np.ndarray  # (C,) int32, the orbit of each basis state, by _rank
    parity: np.ndarray  # (C,) uint8, the parity of its g_s (see _group)
    size: np.ndarray  # (R,) orbit sizes
    stabilizer: np.ndarray  # (R,) uint64, bit p set when an element of parity p fixes the representative
    terms: tuple[np.ndarray, ...]  # (to orbit, from orbit, parity, weight, is J2), sorted by orbits: the
    # Sz Sz sums of h_nn and h_nnn (the same on a whole orbit), and every hop, 1/2 sqrt(|O| / |O'|)


@functools.lru_cache(maxsize=2)
def _orbits(name: str, shape: tuple[int, int], names: tuple[str, ...]) -> _Orbits:
    """QuSpin finds one representative per orbit (its fully symmetric sector, in C); the images of the
    representatives under the group then label every state with its orbit and a group element."""
    spin_basis_general = _quspin().basis.spin_basis_general
    lattice = make_lattice(name, shape)
    n = lattice.n_sites
    with warnings.catch_warnings():
        # QuSpin warns about non-commuting generators (mirrors vs translations): harmless for orbits.
        warnings.simplefilter("ignore")
        basis = spin_basis_general(n, Nup=up_spins(n), pauli=0, **_quspin_blocks(lattice, names))
    reps = _reverse_bits(basis.states, n)
    del basis
    n_full = n_basis_states(n)
    orbit, parity = np.full(n_full, -1, np.int32), np.zeros(n_full, np.uint8)
    flips = [(False, 0)] + ([(True, 1 << names.index("Z"))] if "Z" in names else [])
    elements = [(perm, g | z, flip) for perm, g in _group(name, shape, names)[0] for flip, z in flips]
    own = _rank(reps, n)
    stabilizer, stabilizer_size = np.zeros(len(reps), np.uint64), np.zeros(len(reps), np.int64)
    for perm, g, flip in elements:
        image = _rank(reps, n, perm, flip)
        orbit[image], parity[image] = np.arange(len(reps)), g
        fixed = image == own
        stabilizer[fixed] |= np.uint64(1 << g)
        stabilizer_size += fixed
    size = len(elements) // stabilizer_size
    if (orbit < 0).any() or size.sum() != n_full:
        raise RuntimeError(f"the orbits of {names} do not partition the {n_full} basis states")

    up = ((reps[:, None] >> np.arange(n, dtype=np.uint64)) & np.uint64(1)).astype(bool)
    everyone = np.arange(len(reps), dtype=np.int32)
    terms = []  # (to orbit, from orbit, parity, weight, is J2): the diagonal, then one row a hop
    for is_j2, bonds in enumerate((lattice.nn_bonds, lattice.nnn_bonds)):
        diagonal = 0.25 * np.where(up[:, bonds[:, 0]] == up[:, bonds[:, 1]], 1.0, -1.0).sum(axis=1)
        terms.append((everyone, everyone, np.zeros(len(reps), np.uint8), diagonal, np.full(len(reps), bool(is_j2))))
        for i, j in bonds:
            source = np.flatnonzero(up[:, i] != up[:, j]).astype(np.int32)
            target = _rank(reps[source] ^ np.uint64((1 << int(i)) | (1 << int(j))), n)
            to = orbit[target]
            weight = 0.5 * np.sqrt(size[source] / size[to])
            terms.append((to, source, parity[target], weight, np.full(len(source), bool(is_j2))))
    terms = [np.concatenate(column) for column in zip(*terms)]
    order = np.lexsort(terms[1::-1])  # by row, then column: each sector's CSR is a filter of these rows
    return _Orbits(names, orbit, parity, size, stabilizer, tuple(column[order] for column in terms))


def _sector_hamiltonian(orbits: _Orbits, sector: Sector, j1: float, j2: float):
    """``(H, members)``: j1 h_nn + j2 h_nnn in ``sector`` as CSR (None if the sector is empty) and the
    orbits that span it."""
    odd = _odd_parities(orbits.names, sector)
    odd_bits = np.uint64(sum(1 << int(p) for p in np.flatnonzero(odd)))
    member = (orbits.stabilizer & odd_bits) == 0
    members = np.flatnonzero(member)
    if len(members) == 0:
        return None, members
    index = np.cumsum(member) - 1
    to, source, parity, weight, is_j2 = orbits.terms
    keep = member[to] & member[source]
    values = weight[keep] * np.where(odd[parity[keep]], -1.0, 1.0) * np.where(is_j2[keep], j2, j1)
    row_starts = np.concatenate([[0], np.cumsum(np.bincount(index[to[keep]], minlength=len(members)))])
    h = scipy.sparse.csr_matrix((values, index[source[keep]], row_starts), shape=(len(members), len(members)))
    h.sum_duplicates()  # the same pair of orbits from several bonds
    return h, members


def _lowest(h: scipy.sparse.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k lowest eigenpairs, dense for tiny sectors; a fixed start vector keeps runs reproducible."""
    if h.shape[0] <= 64:
        w, v = np.linalg.eigh(h.toarray())
        return w[:k], v[:, :k]
    v0 = np.random.default_rng(0).standard_normal(h.shape[0])
    # ARPACK's BLAS calls on ~20 vectors are too small to gain from threads; on a busy machine they lose.
    with threadpool_limits(1, user_api="blas"):
        w, v = scipy.sparse.linalg.eigsh(h, k=k, which="SA", v0=v0, tol=1e-12)
    order = np.argsort(w)
    return w[order], v[:, order]


def _fix_global_sign(amplitudes: np.ndarray) -> np.ndarray:
    magnitude = np.abs(amplitudes)
    first_max = np.flatnonzero(magnitude >= magnitude.max() * (1 - 1e-6))[0]
    return amplitudes if amplitudes[first_max] > 0 else -amplitudes


def _expand(orbits: _Orbits, sector: Sector, members: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Sector vector -> amplitudes of all basis states in increasing order, psi(s) = c_O chi(g_s) / sqrt(|O|)."""
    coefficient = np.zeros(len(orbits.size))
    coefficient[members] = vector / np.sqrt(orbits.size[members])
    return coefficient[orbits.orbit] * np.where(_odd_parities(orbits.names, sector)[orbits.parity], -1.0, 1.0)


def _n_orbits(lattice: Torus, names: tuple[str, ...]) -> int:
    """Number of orbits of the basis states under the group of ``names`` (Burnside: the mean over the
    group of the number of states each element fixes), known before any state is built."""
    n, up, fixed = lattice.n_sites, up_spins(lattice.n_sites), 0
    perms = [perm for perm, _ in _group(lattice.name, lattice.shape, names)[0]]
    for perm in perms:
        cycles, seen = [], np.zeros(n, bool)
        for start in range(n):
            length, site = 0, start
            while not seen[site]:
                seen[site], site, length = True, perm[site], length + 1
            cycles += [length] if length else []
        ways = [1] + [0] * up  # ways[k]: unions of whole cycles with k sites, all up
        for length in cycles:
            for k in range(up, length - 1, -1):
                ways[k] += ways[k - length]
        fixed += ways[up]
        if "Z" in names:  # flip after perm fixes the states that alternate along every cycle
            fixed += 2 ** len(cycles) if all(length % 2 == 0 for length in cycles) else 0
    return fixed // (len(perms) * (2 if "Z" in names else 1))


def _ed_memory_bytes(lattice: Torus, groups: list[tuple[str, ...]]) -> float:
    """Peak memory of the ED without the expansion, closed form, on the safe side.

    Cached for each group (``_orbits``): the orbit and parity of every basis state (5 bytes each)
    and, for each of the R orbits, its terms of H: at most 2 + bonds of them (the hops from its
    representative), about half of which exist, 18 bytes each: counted as 14 per possible term. The
    transient is the larger of building those terms (measured 15 bytes per possible term at N = 16
    and 24, counted as 18) and one sector's CSR and Lanczos run (measured 11.7 per possible term at
    N = 24, counted as 12 and 200 per orbit). Measured peaks (tracemalloc) at 6x4: 54 MB for the
    square lattice (estimate 62), 74 MB for the triangular one (estimate 84).
    """
    n = lattice.n_sites
    orbits = [_n_orbits(lattice, names) for names in groups]
    terms = [r * (2 + len(lattice.nn_bonds) + len(lattice.nnn_bonds)) for r in orbits]
    cached = sum(5 * n_basis_states(n) + 16 * r + 14 * t for r, t in zip(orbits, terms))
    return cached + max(max(18 * t, 12 * t + 200 * r) for r, t in zip(orbits, terms))


def _expand_memory_bytes(n_sites: int) -> float:
    """Peak memory of the expansion to all basis states: the states and amplitudes that are returned and
    their temporaries, measured 23 to 28 bytes a state at N = 24, counted as 40."""
    return 40 * n_basis_states(n_sites)


def whole_sector_e0(lat: Torus, j1: float, j2: float) -> float:
    """Lowest level of the whole Sz sector (no symmetry): what the real-character scan is checked against.
    Refuses (:class:`~keras_imnn.physics.memory.MemoryLimitError`) before any work where it would not fit."""
    check_memory(_ed_memory_bytes(lat, [()]), f"ED of the whole Sz sector of {lat.name} {lat.shape[0]}x{lat.shape[1]}",
                 "use a smaller lattice", None)
    h, _ = _sector_hamiltonian(_orbits(lat.name, lat.shape, ()), {}, j1, j2)
    return float(_lowest(h, k=1)[0][0])


def _warn_if_missed(lat: Torus, j1: float, j2: float, found: float) -> None:
    """Warn (``MissedGroundStateWarning``) if the whole Sz sector holds a level below ``found``."""
    lowest = whole_sector_e0(lat, j1, j2)
    if lowest < found - 1e-8 * max(1.0, abs(lowest)):
        warnings.warn(
            f"ground_state {lat.name} {lat.shape[0]}x{lat.shape[1]}, J2 = {j2:g}: the whole Sz sector's lowest level "
            f"E0 = {lowest:.10g} lies below every real-character sector ({found:.10g}, returned): the ground state is "
            "at complex momentum or in a two-dimensional representation, degenerate there, so it has no unique real "
            "sign structure", MissedGroundStateWarning, stacklevel=3)


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
    """Ground state of the J1-J2 Heisenberg model (S = sigma/2) in the Sz = 0 sector (Sz = +1/2 for an odd
    number of sites, ``up_spins``).

    Args:
        lattice: a name of ``keras_imnn.lattices.LATTICES`` ("square", "triangular", "kagome").
        shape: ``(L1, L2)`` cells.
        j2, j1: couplings.
        sector: ``"auto"`` diagonalizes every real-character sector (``candidate_sectors``: one-dimensional
            representations, so not a ground state at complex momentum or in a two-dimensional one) to
            convergence and keeps the lowest (the sectors share their orbits: about 3x the time of
            one sector); ``"symmetric"`` uses ``symmetric_sector`` only (the ground state for the
            unfrustrated square lattice and moderate J2); or an explicit dict of characters such
            as ``{"Tx": 1, "Ty": -1, "Px": 1, "Py": 1, "Z": 1}``.
        expand: also return all C(N, ``up_spins(N)``) basis states and amplitudes (8 bytes each, twice, and
            about 40 a state while expanding; only feasible up to ~30 spins).
        progress: tqdm bar over the sectors.
        max_memory_gb: refuse (:class:`~keras_imnn.physics.memory.MemoryLimitError`, before any
            work) when the estimated peak memory exceeds this; None = ``$KERAS_IMNN_MAX_MEMORY_GB``,
            else 80 % of the available memory (:mod:`keras_imnn.physics.memory`).

    Returns:
        ``GroundState``; with ``sector="auto"``, ``gap`` is the distance to the next level
        over all scanned sectors.

    Warns:
        MissedGroundStateWarning: with ``sector="auto"`` on a lattice of at most ``FULL_SECTOR_CHECK_STATES``
            Sz states, when the whole sector holds a lower level than every real-character sector (e.g. the
            square 3x3 torus at J2 = 0.5: E0 = -3.48 against -2.41); larger lattices are not checked here
            (benchmarks/ed_full_sector_check.py does; it found no miss on the 6x4 square and triangular tori).
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
    for sec in sectors:
        _check_sector(lat, sec)
    groups = sorted({tuple(sec) for sec in sectors})
    what = f"ED of {lattice} {lat.shape[0]}x{lat.shape[1]} in {len(sectors)} sector(s)"
    ed_bytes = _ed_memory_bytes(lat, groups)
    check_memory(ed_bytes, what, "use a smaller lattice", max_memory_gb)
    if expand:
        check_memory(ed_bytes + _expand_memory_bytes(lat.n_sites),
                     f"{what} expanded to all {n_basis_states(lat.n_sites):.3g} basis states", "pass expand=False",
                     max_memory_gb)

    orbits = {names: _orbits(lat.name, lat.shape, names) for names in groups}
    lowest = {}  # sector index -> its lowest level
    if len(sectors) > 1:
        bar = tqdm(sectors, desc=f"ED {lattice} {lat.shape}", disable=not progress)
        for index, sec in enumerate(bar):
            h, _ = _sector_hamiltonian(orbits[tuple(sec)], sec, j1, j2)
            if h is not None:
                lowest[index] = _lowest(h, k=1)[0][0]
        if not lowest:
            raise ValueError(f"every requested sector is empty: {[sector_label(s) for s in sectors]}")
    # The second level overall is the ground sector's second or another sector's first: only the
    # ground sector needs two.
    index = min(lowest, key=lowest.get) if lowest else 0
    ground_orbits = orbits[tuple(sectors[index])]
    h, members = _sector_hamiltonian(ground_orbits, sectors[index], j1, j2)
    if h is None:
        raise ValueError(f"the requested sector is empty: {sector_label(sectors[index])}")
    energies, vectors = _lowest(h, k=min(2, h.shape[0]))
    lowest[index] = energies[0]
    levels = sorted([*lowest.values(), *energies[1:]])
    gap = levels[1] - levels[0] if len(levels) > 1 else float("nan")
    sector_energies = {sector_label(sectors[i]): float(e) for i, e in sorted(lowest.items(), key=lambda item: item[1])}
    if sector == "auto" and n_basis_states(lat.n_sites) <= FULL_SECTOR_CHECK_STATES:
        _warn_if_missed(lat, j1, j2, float(energies[0]))
    states = amplitudes = None
    if expand:
        states = _basis_states(lat.n_sites)
        amplitudes = _fix_global_sign(_expand(ground_orbits, sectors[index], members, vectors[:, 0]))
    return GroundState(
        lattice=lat, j1=float(j1), j2=float(j2), energy=float(energies[0]), sector=sectors[index],
        sector_dim=len(members), sector_energies=sector_energies, gap=float(gap),
        states=states, amplitudes=amplitudes,
    )
