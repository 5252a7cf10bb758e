"""Ground state of the J1-J2 model in the fully symmetric sector, kept as orbit representatives.

Past ~30 spins the Sz = 0 basis (C(36, 18) = 9.1e9 states at 6x6) cannot be listed, and neither can
``ed``'s orbit table of every state. Here the sector is held by one representative per orbit of the
lattice group G (translations, point group, spin flip; |G| = 576 and 1.6e7 orbits at 6x6):

- ``orbit_kernels`` (numba) lists the largest integer of each orbit (the representative used here),
  counts its stabilizer, and stores the hops of H once, as column indices only: in the member
  amplitudes a_O = c_O / sqrt|O|, H a is ``d(r_O) a_O + 1/2 sum_{hops r_O -> s} J chi a_{O(s)}``, so the
  table holds no values and serves every J2;
- scipy's ``eigsh`` (ARPACK Lanczos) runs on the orthonormal sector basis (QuSpin's normalization)
  |O> = sum_{s in O} chi(g_s) |s> / sqrt|O|,  g_s r_O = s:
  the sector vector c has sum c_O^2 = 1 and a member s of O has the amplitude chi(g_s) c_O / sqrt|O|.

The sector is ``ed.symmetric_sector``: every translation and point-group character +1, the flip's
``(-1)^(N/2)``, so chi(g) is -1 only for elements that flip the spins in that case. QuSpin's own
matrix-free ``quantum_LinearOperator`` costs ~330 us per orbit and matvec (measured at 6x4: it searches
the whole group on every hop), about 1.5 h per matvec at 6x6; the stored hops take seconds.
``sampling.sample_states`` draws states from the result without expanding it.
"""
from __future__ import annotations

import contextlib
import functools
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse.linalg
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from keras_imnn.atomic import atomic_dir, atomic_path, read_json
from keras_imnn.lattices import Torus
from keras_imnn.npz import read_npz
from keras_imnn.physics.magnet import ed
from keras_imnn.physics.magnet.lattices import make_lattice
from keras_imnn.physics.memory import check_memory

#: Lanczos vectors ARPACK keeps for one eigenpair (scipy's default ``ncv`` for k = 1).
NCV = 20
_ARRAYS = ("representatives", "orbit_sizes", "nn_ptr", "nn_cols", "nnn_ptr", "nnn_cols", "nn_diagonal",
           "nnn_diagonal")


def _kernels():
    """``orbit_kernels``, imported after the QuSpin check (numba comes with QuSpin's extra)."""
    ed._quspin()
    from keras_imnn.physics.magnet import orbit_kernels

    return orbit_kernels


@functools.lru_cache(maxsize=8)
def _geometry(name: str, shape: tuple[int, int]):
    lattice = make_lattice(name, shape)
    if lattice.n_sites % 2:  # its group holds the spin flip, a symmetry of Sz = 0 only
        raise ValueError(f"the orbit path (representatives) works at Sz = 0, an even number of sites; {name} "
                         f"{shape[0]}x{shape[1]} has {lattice.n_sites}: use ed.ground_state (Sz = +1/2)")
    point = [perm for perm, _ in ed._group(name, shape, tuple(lattice.point_group))[0]]
    geometry = _kernels().Geometry(lattice.n_sites, shape, point)
    n_group = len(ed._group(name, shape, tuple(lattice.generators))[0])
    if 2 * n_group != geometry.n_elements:  # each element is one translation after one point element
        raise RuntimeError(f"{name} {shape}: {n_group} site permutations, expected {geometry.n_elements // 2}")
    return geometry


def _say(progress: bool, message: str) -> None:
    """A progress line on stderr: clock time, the process's CPU time so far, the message."""
    if progress:
        print(f"[{time.strftime('%H:%M:%S')}, cpu {time.process_time():.0f} s] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _threads(n_threads: int | None):
    """numba's threads for the kernels (all cores when None)."""
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(min(n_threads or numba.config.NUMBA_NUM_THREADS, numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(old)


def _chunks(n: int, progress: bool, desc: str, size: int = 0, unit: str = "orbit"):
    """``(start, stop)`` row ranges, with a tqdm bar over the rows."""
    size = size or max(50_000, -(-n // 200))
    bar = tqdm(total=n, desc=desc, disable=not progress, unit=unit, unit_scale=True)
    for start in range(0, n, size):
        stop = min(n, start + size)
        yield start, stop
        bar.update(stop - start)
    bar.close()


def n_orbits(lattice: Torus) -> int:
    """Orbits of the Sz = 0 states under translations, point group and spin flip (Burnside, exact)."""
    return ed._n_orbits(lattice, (*lattice.generators, "Z"))


def memory_bytes(lattice: Torus, orbits: int | None = None, ncv: int = NCV) -> float:
    """Peak memory of ``symmetric_ground_state``, closed form, on the safe side.

    Counted together although they come one after the other: the listing and checking of the
    representatives (60 bytes an orbit); then, kept to the end, 64 bytes an orbit (representatives, sizes, two
    row pointers, two diagonals, the search buckets) and 4 a hop (the expected antiparallel bonds,
    N / (2 (N - 1)) of them, + 5 %); the Lanczos vectors, (ncv + 10) x 8 bytes an orbit; and 0.4 GB for
    the libraries (QuSpin, numba, scipy: 0.25-0.3 GB of resident memory measured after import).
    """
    n = lattice.n_sites
    orbits = n_orbits(lattice) if orbits is None else orbits
    hops = 1.05 * orbits * (len(lattice.nn_bonds) + len(lattice.nnn_bonds)) * n / (2 * (n - 1))
    return 0.4e9 + 60 * orbits + 64 * orbits + 4 * hops + (ncv + 10) * 8 * orbits


def _list_representatives(lattice: Torus, progress: bool, n_threads: int | None) -> np.ndarray:
    """``(R,)`` uint64, the largest state of every orbit, increasing: each Sz = 0 state with the top bit set
    (C(N - 1, N/2 - 1) of them, 4.5e9 at 6x6) is tested against its images, in blocks, counted and then
    written. Written here because QuSpin's ``spin_basis_general`` crashed (SIGSEGV) listing the 6x6
    orbits, and its scan cost ~100 ns a state against ~10 here."""
    kernels = _kernels()
    n = lattice.n_sites
    geometry = _geometry(lattice.name, lattice.shape)
    binom = ed._binomials(n)
    total = math.comb(n - 1, n // 2 - 1)
    pieces = []
    _say(progress, f"representatives of {lattice.name} {lattice.shape[0]}x{lattice.shape[1]}: "
                   f"testing {total:.3g} Sz = 0 states")
    with _threads(n_threads):
        for a, b in _chunks(total, progress, "representatives", size=1 << 27, unit="state"):
            starts = np.linspace(a, b, 257).astype(np.int64)  # 256 ranges: even load over numba's threads
            counts = np.empty(256, np.int64)
            kernels.count_representatives(starts, binom, *geometry.args(), counts)
            offsets = np.zeros(257, np.int64)
            np.cumsum(counts, out=offsets[1:])
            out = np.empty(int(offsets[-1]), np.uint64)
            kernels.fill_representatives(starts, offsets, binom, *geometry.args(), out)
            pieces.append(out)
    return np.concatenate(pieces) if pieces else np.empty(0, np.uint64)


def _point_masks(geometry, masks: np.ndarray) -> np.ndarray:
    """``(P, n_bonds)``: each bond mask moved by each point element."""
    out = np.zeros((geometry.n_point, len(masks)), np.uint64)
    for p, perm in enumerate(geometry.point_perms):
        for b, m in enumerate(masks):
            sites = [i for i in range(geometry.n) if (int(m) >> i) & 1]
            out[p, b] = sum(np.uint64(1) << np.uint64(perm[i]) for i in sites)
    return out


@dataclass(frozen=True)
class SymmetricSector:
    """The fully symmetric Sz = 0 sector of a lattice: orbits and the hops of H between them.

    Attributes:
        lattice, sector: the lattice and ``ed.symmetric_sector(lattice)``.
        representatives: ``(R,)`` uint64, the largest state of each orbit in the sector, increasing.
        orbit_sizes: ``(R,)`` int64, |O|.
        nn_ptr, nn_cols / nnn_ptr, nnn_cols: CSR rows of the J1 / J2 hops from each representative:
            ``(R + 1,)`` int64 and int32 orbit indices (``~index`` where the character is -1, ``R`` for
            an orbit outside the sector).
        nn_diagonal, nnn_diagonal: ``(R,)`` sum of S^z_i S^z_j over the J1 / J2 bonds.
    """

    lattice: Torus
    sector: ed.Sector
    representatives: np.ndarray = field(repr=False)
    orbit_sizes: np.ndarray = field(repr=False)
    nn_ptr: np.ndarray = field(repr=False)
    nn_cols: np.ndarray = field(repr=False)
    nnn_ptr: np.ndarray = field(repr=False)
    nnn_cols: np.ndarray = field(repr=False)
    nn_diagonal: np.ndarray = field(repr=False)
    nnn_diagonal: np.ndarray = field(repr=False)

    @property
    def dim(self) -> int:
        return len(self.representatives)

    def operator(self, j2: float, j1: float = 1.0, n_threads: int | None = None):
        """H = j1 h_nn + j2 h_nnn on the orthonormal sector basis, as a scipy ``LinearOperator`` (float64);
        its ``n_matvec`` attribute counts the products."""
        kernels = _kernels()
        n = self.dim
        sqrt_size = np.sqrt(self.orbit_sizes.astype(np.float64))
        inverse = 1.0 / sqrt_size
        diag = j1 * self.nn_diagonal + j2 * self.nnn_diagonal
        scaled = np.zeros(n + 1)

        def matvec(v: np.ndarray) -> np.ndarray:
            v = np.ascontiguousarray(v, dtype=np.float64).reshape(-1)
            np.multiply(v, inverse, out=scaled[:n])
            out = np.empty(n)
            with _threads(n_threads):
                kernels.matvec(v, scaled, diag, self.nn_ptr, self.nn_cols, 0.5 * j1, self.nnn_ptr, self.nnn_cols,
                               0.5 * j2, sqrt_size, out)
            op.n_matvec += 1
            return out

        op = scipy.sparse.linalg.LinearOperator((n, n), matvec=matvec, dtype=np.float64)
        op.n_matvec = 0
        return op

    def lowest(self, j2: float, j1: float = 1.0, tol: float = 1e-12, ncv: int = NCV, seed: int = 0,
               progress: bool = True, n_threads: int | None = None) -> SymmetricGroundState:
        """The lowest eigenstate in the sector (ARPACK Lanczos from a seeded random vector)."""
        for value, label in ((j1, "j1"), (j2, "j2")):
            if not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value):
                raise ValueError(f"{label} must be a finite number, got {value!r}")
        if j1 == 0 and j2 == 0:
            raise ValueError("j1 and j2 are both 0: the Hamiltonian is zero and every state is a ground state")
        op = self.operator(j2, j1, n_threads)
        start = time.perf_counter()
        if self.dim <= 64:
            dense = np.column_stack([op.matvec(e) for e in np.eye(self.dim)])
            w, v = np.linalg.eigh(dense)
            energy, vector = w[0], v[:, 0]
        else:
            bar = tqdm(desc=f"Lanczos J2={j2}", unit="matvec", disable=not progress)
            inner = op.matvec

            def counted(x):
                y = inner(x)
                bar.update(1)
                return y

            counting = scipy.sparse.linalg.LinearOperator(op.shape, matvec=counted, dtype=np.float64)
            v0 = np.random.default_rng(seed).standard_normal(self.dim)
            # ARPACK's BLAS calls on small sectors lose to thread start-up; on big ones threads help.
            with threadpool_limits(1 if self.dim < 1_000_000 else None, user_api="blas"):
                w, v = scipy.sparse.linalg.eigsh(counting, k=1, which="SA", v0=v0, tol=tol,
                                                 ncv=min(ncv, self.dim - 1))
            bar.close()
            energy, vector = w[0], v[:, 0]
            del v0
        vector = vector / np.linalg.norm(vector)
        residual = float(np.linalg.norm(op.matvec(vector) - energy * vector))
        wall = time.perf_counter() - start
        _say(progress, f"Lanczos J2={j2}: E0 = {energy:.12f}, residual {residual:.2g}, "
                       f"{op.n_matvec} matvecs, {wall:.1f} s")
        gs = SymmetricGroundState(
            lattice=self.lattice, j1=float(j1), j2=float(j2), energy=float(energy), sector=dict(self.sector),
            representatives=self.representatives, amplitudes=vector, orbit_sizes=self.orbit_sizes,
            residual=residual, n_matvec=op.n_matvec)
        return gs._with_fixed_sign()

    def save(self, folder: str | Path) -> None:
        """Every array as ``<name>.npy`` and ``meta.json``, written as a whole (``atomic_dir``)."""
        with atomic_dir(folder) as tmp:
            for name in _ARRAYS:
                np.save(tmp / f"{name}.npy", getattr(self, name))
            meta = {"lattice": self.lattice.name, "shape": list(self.lattice.shape), "sector": self.sector}
            (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


def load_sector(folder: str | Path) -> SymmetricSector:
    """A ``SymmetricSector`` written by ``SymmetricSector.save``."""
    folder = Path(folder)
    meta = read_json(folder / "meta.json")
    arrays = {name: np.load(folder / f"{name}.npy") for name in _ARRAYS}
    return SymmetricSector(make_lattice(meta["lattice"], tuple(meta["shape"])), meta["sector"], **arrays)


def build_sector(
    lattice: str,
    shape: tuple[int, int] | list[int],
    progress: bool = True,
    max_memory_gb: float | None = None,
    n_threads: int | None = None,
    ncv: int = NCV,
) -> SymmetricSector:
    """Orbits of the fully symmetric Sz = 0 sector and the hops of H between them (any J1, J2).

    Args:
        lattice, shape: as in ``ed.ground_state``.
        progress: progress lines and bars on stderr.
        max_memory_gb: limit for the estimate of the whole solve (``memory_bytes``, the Lanczos
            vectors with ``ncv`` included), checked before any work; see ``keras_imnn.physics.memory``.
        n_threads: numba threads (None: all cores).
    """
    kernels = _kernels()
    lat = make_lattice(lattice, shape)
    n = lat.n_sites
    geometry = _geometry(lat.name, lat.shape)
    sector = ed.symmetric_sector(lat)
    expected = n_orbits(lat)
    check_memory(memory_bytes(lat, expected, ncv), f"symmetric-sector ED of {lattice} {lat.shape[0]}x{lat.shape[1]} "
                 f"({expected} orbits)", "use a smaller lattice", max_memory_gb)
    found = _list_representatives(lat, progress, n_threads)
    with _threads(n_threads):
        reps = np.empty_like(found)
        flips = np.empty(len(found), np.bool_)
        plain, flipped = np.empty(len(found), np.int64), np.empty(len(found), np.int64)
        for a, b in _chunks(len(found), progress, "orbit sizes"):
            kernels.canonicalize(found[a:b], *geometry.args(), reps[a:b], flips[a:b], plain[a:b], flipped[a:b])
        # The listing comes increasing, each state its orbit's largest: checked here instead of sorting.
        listed = np.array_equal(reps, found) and bool((reps[1:] > reps[:-1]).all())
        del found, flips
        sizes = geometry.n_elements // (plain + flipped)
        if not listed or len(reps) != expected or int(sizes.sum()) != math.comb(n, n // 2):
            raise RuntimeError(f"the {len(reps)} representatives listed are not the {expected} orbits of the "
                               f"{math.comb(n, n // 2)} Sz = 0 states")
        if sector["Z"] == -1:  # an orbit fixed by a flip element (character -1) has no symmetric state
            keep = flipped == 0
            reps, sizes = reps[keep], sizes[keep]
        del plain, flipped
        _say(progress, f"{len(reps)} orbits in the sector, sizes checked")
        tables, index = {}, kernels.prefix_index(reps)
        for kind, bonds in (("nn", lat.nn_bonds), ("nnn", lat.nnn_bonds)):
            masks = np.array([(1 << int(i)) | (1 << int(j)) for i, j in bonds], dtype=np.uint64)
            counts = np.empty(len(reps), np.int64)
            kernels.count_hops(reps, masks, counts)
            ptr = np.zeros(len(reps) + 1, np.int64)
            np.cumsum(counts, out=ptr[1:])
            del counts
            cols = np.empty(int(ptr[-1]), np.int32)
            point_masks = _point_masks(geometry, masks)
            for a, b in _chunks(len(reps), progress, f"{kind} hops"):
                kernels.fill_hops(reps, *index, a, b, ptr, masks, point_masks, sector["Z"] == -1, *geometry.args(),
                                  cols)
            if sector["Z"] == 1 and len(cols) and (cols.max() >= len(reps) or cols.min() < 0):
                raise RuntimeError(f"a {kind} hop left the sector's orbits: the group tables are inconsistent")
            diagonal = np.empty(len(reps))
            kernels.diagonal(reps, masks, diagonal)
            tables[kind] = (ptr, cols, diagonal)
    _say(progress, f"sector: {len(reps)} orbits, {len(tables['nn'][1]) + len(tables['nnn'][1])} hops")
    return SymmetricSector(lat, sector, reps, sizes, tables["nn"][0], tables["nn"][1], tables["nnn"][0],
                           tables["nnn"][1], tables["nn"][2], tables["nnn"][2])


@dataclass(frozen=True)
class SymmetricGroundState:
    """Lowest state of the fully symmetric sector, one amplitude per orbit.

    Attributes:
        lattice, j1, j2, energy, sector: as in ``ed.GroundState`` (energy in the S = sigma/2 convention).
        representatives: ``(R,)`` uint64, the largest state of each orbit (project bit order), increasing.
        amplitudes: ``(R,)`` float64 sector vector c, sum c^2 = 1 (QuSpin's normalization); a member s of
            orbit O has the full-basis amplitude chi(g_s) c_O / sqrt|O|. The global sign follows
            ``ed``: the largest full-basis amplitude (its lowest state among ties) is positive.
        orbit_sizes: ``(R,)`` int64 |O|.
        residual: ||H c - E c||; n_matvec: matrix-vector products of the solve.
    """

    lattice: Torus
    j1: float
    j2: float
    energy: float
    sector: ed.Sector
    representatives: np.ndarray = field(repr=False)
    amplitudes: np.ndarray = field(repr=False)
    orbit_sizes: np.ndarray = field(repr=False)
    residual: float = float("nan")
    n_matvec: int = 0

    @property
    def sector_dim(self) -> int:
        return len(self.representatives)

    @property
    def n_elements(self) -> int:
        """Order of the group (translations x point group x spin flip)."""
        return _geometry(self.lattice.name, self.lattice.shape).n_elements

    @property
    def orbit_probabilities(self) -> np.ndarray:
        """``(R,)`` total |psi|^2 of each orbit, c_O^2 (sums to 1)."""
        return np.square(self.amplitudes)

    def spins(self, states: np.ndarray | None = None) -> np.ndarray:
        """``(n, L1, L2, k)`` uint8 0/1 spins (1 = up) of ``states`` (default: the representatives)."""
        return ed.states_to_spins(self.representatives if states is None else states, self.lattice.feature_shape)

    def characters(self, elements: np.ndarray) -> np.ndarray:
        """``(n,)`` +1/-1, the sector's character of group elements given by index (``group_images``)."""
        flips = np.asarray(elements) >= self.n_elements // 2
        return np.where(flips & (self.sector["Z"] == -1), -1, 1)

    def group_images(self, orbits: np.ndarray, elements: np.ndarray) -> np.ndarray:
        """``(n,)`` uint64, group element ``elements[k]`` applied to the representative of ``orbits[k]``.

        An element index ``e`` in ``[0, n_elements)`` is ``F^f Tx^a Ty^b P_p`` with
        ``e = ((f * Lx + a) * Ly + b) * P + p`` (``P`` point elements; ``F`` flips every spin)."""
        geometry = _geometry(self.lattice.name, self.lattice.shape)
        elements = np.asarray(elements, dtype=np.int64)
        if elements.size and (elements.min() < 0 or elements.max() >= geometry.n_elements):
            raise ValueError(f"group elements are indices in [0, {geometry.n_elements})")
        point, rest = np.divmod(elements, geometry.n_point)[::-1]
        rest, ty = np.divmod(rest, geometry.ly)
        flip, tx = np.divmod(rest, geometry.lx)
        states = self.representatives[np.asarray(orbits)]
        out = np.empty_like(states)
        _kernels().apply_elements(states, point, tx, ty, flip.astype(np.bool_), *geometry.args(), out)
        return out

    def amplitudes_of(self, states: np.ndarray, n_threads: int | None = None) -> np.ndarray:
        """``(n,)`` full-basis amplitudes psi(s) of any states (0 outside the sector, e.g. Sz != 0)."""
        geometry = _geometry(self.lattice.name, self.lattice.shape)
        states = np.ascontiguousarray(states, dtype=np.uint64).reshape(-1)
        if states.size and states.max() > geometry.full:
            raise ValueError(f"states must be integers below 2**{self.lattice.n_sites}")
        reps, flips = np.empty_like(states), np.empty(len(states), np.bool_)
        plain, flipped = np.empty(len(states), np.int64), np.empty(len(states), np.int64)
        with _threads(n_threads):
            _kernels().canonicalize(states, *geometry.args(), reps, flips, plain, flipped)
        index = np.minimum(np.searchsorted(self.representatives, reps), self.sector_dim - 1)
        found = self.representatives[index] == reps
        sign = np.where(flips & (self.sector["Z"] == -1), -1.0, 1.0)
        return np.where(found, sign * self.amplitudes[index] / np.sqrt(self.orbit_sizes[index]), 0.0)

    def signs_of(self, states: np.ndarray) -> np.ndarray:
        """``(n,)`` uint8 sign labels of any states, 1 = negative amplitude (``ed.GroundState.signs``)."""
        return (self.amplitudes_of(states) < 0).astype(np.uint8)

    def _with_fixed_sign(self) -> SymmetricGroundState:
        """``ed._fix_global_sign`` without the expansion: among the orbits of the largest member
        amplitude (relative 1e-6), the lowest member state gets a positive amplitude."""
        member = np.abs(self.amplitudes) / np.sqrt(self.orbit_sizes)
        top = np.flatnonzero(member >= member.max() * (1 - 1e-6))
        orbits = np.repeat(top, self.n_elements)
        elements = np.tile(np.arange(self.n_elements), len(top))
        states = self.group_images(orbits, elements)
        lowest = int(np.argmin(states))
        sign = self.characters(elements[lowest:lowest + 1])[0] * np.sign(self.amplitudes[orbits[lowest]])
        if sign > 0:
            return self
        return SymmetricGroundState(**{**self.__dict__, "amplitudes": -self.amplitudes})

    def save(self, path: str | Path) -> None:
        """``.npz`` with the arrays and the scalars (``meta``, JSON), written atomically."""
        meta = {"lattice": self.lattice.name, "shape": list(self.lattice.shape), "j1": self.j1, "j2": self.j2,
                "energy": self.energy, "sector": self.sector, "residual": self.residual, "n_matvec": self.n_matvec}
        with atomic_path(path) as tmp:
            np.savez(tmp, representatives=self.representatives, amplitudes=self.amplitudes,
                     orbit_sizes=self.orbit_sizes, meta=json.dumps(meta))


def ground_state_filename(lattice: str, shape: tuple[int, int], j2: float) -> str:
    """The file name under which ``benchmarks/magnet_36_spins.py`` saves a ground state and the TFDS builder looks
    for it (J2 as ``%g``)."""
    return f"ground_state_{lattice}_{shape[0]}x{shape[1]}_j2_{j2:g}.npz"


def find_ground_state(lattice: str, shape: tuple[int, int], j2: float, j1: float = 1.0,
                      folder: str | Path | None = None) -> SymmetricGroundState | None:
    """The ground state in ``folder/ground_state_filename(...)``, None when there is no such file; a file
    holding another lattice, shape, J1 or J2 is refused (ValueError)."""
    path = Path(folder) / ground_state_filename(lattice, shape, j2) if folder is not None else None
    if path is None or not path.exists():
        return None
    gs = load_ground_state(path)
    found = (gs.lattice.name, tuple(gs.lattice.shape), gs.j1, gs.j2)
    if found[:2] != (lattice, tuple(shape)) or not np.allclose(found[2:], (j1, j2)):
        raise ValueError(f"{path} holds the ground state of {found[0]} {found[1][0]}x{found[1][1]} "
                         f"J1={found[2]:g} J2={found[3]:g}, not of {lattice} {shape[0]}x{shape[1]} "
                         f"J1={j1:g} J2={j2:g}")
    return gs


def find_or_solve(lattice: str, shape: tuple[int, int], j2: float, j1: float = 1.0, folder: str | Path | None = None,
                  where: str = "the folder") -> SymmetricGroundState:
    """``find_ground_state``, else solved here (``symmetric_ground_state``; ~25 CPU minutes and ~10 GB at
    6x6) after a line on stderr that says how to make the file once, resumably. ``where`` names the folder
    in that line (e.g. "the manual dir")."""
    gs = find_ground_state(lattice, shape, j2, j1, folder)
    if gs is not None:
        return gs
    print(f"no {ground_state_filename(lattice, shape, j2)} in {where} ({folder or 'none given, or empty'}); "
          f"computing the ground state, which takes ~25 CPU minutes and ~10 GB of memory at 6x6. `python "
          f"benchmarks/magnet_36_spins.py --lattice {lattice} --shape {shape[0]} {shape[1]} --j2 {j2:g} --out DIR` "
          f"writes that file resumably.", file=sys.stderr, flush=True)
    return symmetric_ground_state(lattice, shape, j2, j1=j1)


def load_ground_state(path: str | Path) -> SymmetricGroundState:
    """A ``SymmetricGroundState`` written by ``SymmetricGroundState.save``."""
    names = ("representatives", "amplitudes", "orbit_sizes")
    data = read_npz(path, required=("meta", *names), made_by="SymmetricGroundState.save")
    meta = json.loads(str(data["meta"]))
    arrays = {name: data[name] for name in names}
    lattice = make_lattice(meta.pop("lattice"), tuple(meta.pop("shape")))
    return SymmetricGroundState(lattice=lattice, **meta, **arrays)


def symmetric_ground_state(
    lattice: str,
    shape: tuple[int, int] | list[int],
    j2: float,
    j1: float = 1.0,
    tol: float = 1e-12,
    progress: bool = True,
    max_memory_gb: float | None = None,
    n_threads: int | None = None,
) -> SymmetricGroundState:
    """Ground state of the J1-J2 model in ``ed.symmetric_sector``, one amplitude per orbit (no expansion).

    ``build_sector(...).lowest(j2, j1)``; build the sector once to solve several J2. The energy equals
    ``ed.ground_state(..., sector="symmetric").energy``, and ``amplitudes_of(states)`` its amplitudes.
    """
    return build_sector(lattice, shape, progress, max_memory_gb, n_threads).lowest(
        j2, j1, tol=tol, progress=progress, n_threads=n_threads)
