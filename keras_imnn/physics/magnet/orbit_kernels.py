"""Numba kernels of the representative-basis ED (``representatives``): the symmetry group of a periodic
lattice acting on spin configurations stored as integers, orbit representatives, the hops of H between
orbits and the sector's matrix-vector product.

States follow the project convention (bit ``i`` = spin up at site ``i``, ``i = (x * Ly + y) * k + s`` with ``k``
sites per cell, ``per_cell`` here): row ``x`` is the bit field ``[x * Ly * k, (x + 1) * Ly * k)``, so a
translation along x rotates the whole word by ``Ly * k`` bits and one along y rotates every field by ``k``
bits; a point-group element (which may move sites to other sublattices) is a site permutation,
applied through byte lookup tables. Every group element is written ``g = F^f Tx^a Ty^b P_p`` (point
element first, then the translations, then the spin flip ``F`` if ``f``), and an orbit's
representative is its largest integer. numba comes with QuSpin (the ``magnet`` extra).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

_ONE = np.uint64(1)
_BYTE = np.uint64(255)


class Geometry:
    """What the kernels need to know of a lattice's group: point-group tables and bit masks.

    Attributes:
        n, lx, ly, per_cell: sites, shape in cells and sites per cell; point_perms: the point group's site
            permutations.
        tables: ``(P, n_chunks, 256)`` uint64, ``tables[p, c, v]`` = the image under point element ``p``
            of byte value ``v`` at bits ``[8c, 8c + 8)``.
        full: the word of all ``n`` bits; row_tops: the bits of the cells ``y = Ly - 1`` of every row.
        n_elements: group order ``2 * Lx * Ly * P`` (flip included).
    """

    def __init__(self, n: int, shape: tuple[int, int], point_perms: list[np.ndarray]):
        self.n, (self.lx, self.ly) = n, shape
        self.per_cell = n // (self.lx * self.ly)
        self.point_perms, self.n_point = point_perms, len(point_perms)
        n_chunks = (n + 7) // 8
        tables = np.zeros((self.n_point, n_chunks, 256), np.uint64)
        values = np.arange(256, dtype=np.uint64)
        for p, perm in enumerate(point_perms):
            for site in range(n):
                chunk, bit = divmod(site, 8)
                tables[p, chunk] |= ((values >> np.uint64(bit)) & _ONE) << np.uint64(perm[site])
        self.tables = tables
        self.full = np.uint64((1 << n) - 1)
        top_cell = (1 << self.per_cell) - 1  # the k bits of one cell
        self.row_tops = np.uint64(sum(top_cell << ((x + 1) * self.ly - 1) * self.per_cell for x in range(self.lx)))
        self.n_elements = 2 * self.lx * self.ly * self.n_point

    def args(self) -> tuple:
        """The positional arguments every kernel takes after its own."""
        return self.tables, self.full, self.row_tops, self.n, self.lx, self.ly, self.per_cell


@njit(cache=True, inline="always")
def _point_image(s, tables, p):
    image = np.uint64(0)
    for chunk in range(tables.shape[1]):
        image |= tables[p, chunk, (s >> np.uint64(8 * chunk)) & _BYTE]
    return image


@njit(cache=True, inline="always")
def _ty(t, row_tops, ly, per_cell):
    return ((t & ~row_tops) << np.uint64(per_cell)) | ((t & row_tops) >> np.uint64((ly - 1) * per_cell))


@njit(cache=True, inline="always")
def _tx(t, full, n, row_bits):
    return ((t << np.uint64(row_bits)) & full) | (t >> np.uint64(n - row_bits))


@njit(cache=True)
def _canonical(s, tables, full, row_tops, n, lx, ly, per_cell):
    """``(representative, flip, plain, flipped)``: the largest image of ``s``, whether the first element
    reaching it flips the spins, and how many elements without / with the flip fix ``s``."""
    top = _ONE << np.uint64(n - 1)
    best, best_flip, plain, flipped = np.uint64(0), False, 0, 0
    for p in range(tables.shape[0]):
        u = _point_image(s, tables, p)
        for _ in range(ly):
            t = u
            for _ in range(lx):
                flip = (t & top) == np.uint64(0)
                w = t ^ full if flip else t
                if w > best:
                    best, best_flip = w, flip
                if t == s:
                    plain += 1
                elif t ^ full == s:
                    flipped += 1
                t = _tx(t, full, n, ly * per_cell)
            u = _ty(u, row_tops, ly, per_cell)
    return best, best_flip, plain, flipped


@njit(cache=True, parallel=True)
def canonicalize(states, tables, full, row_tops, n, lx, ly, per_cell, reps, flips, plain, flipped):
    """For every state: its representative, the flip of the element reaching it, and its stabilizer
    (elements without / with the flip that fix it), into the output arrays."""
    for k in prange(states.shape[0]):
        reps[k], flips[k], plain[k], flipped[k] = _canonical(states[k], tables, full, row_tops, n, lx, ly, per_cell)


@njit(cache=True)
def apply_elements(states, point, tx, ty, flip, tables, full, row_tops, n, lx, ly, per_cell, out):
    """``out[k] = F^flip[k] Tx^tx[k] Ty^ty[k] P_point[k] states[k]``."""
    for k in range(states.shape[0]):
        t = _point_image(states[k], tables, point[k])
        for _ in range(ty[k]):
            t = _ty(t, row_tops, ly, per_cell)
        for _ in range(tx[k]):
            t = _tx(t, full, n, ly * per_cell)
        out[k] = t ^ full if flip[k] else t


@njit(cache=True)
def count_hops(reps, bond_masks, counts):
    """``counts[k]``: the bonds of ``bond_masks`` with antiparallel spins in ``reps[k]``."""
    for k in range(reps.shape[0]):
        c = 0
        for m in bond_masks:
            both = reps[k] & m
            if both != np.uint64(0) and both != m:
                c += 1
        counts[k] = c


@njit(cache=True)
def diagonal(reps, bond_masks, out):
    """``out[k]`` = sum over bonds of S^z_i S^z_j (S = sigma/2) in ``reps[k]``."""
    for k in range(reps.shape[0]):
        d = 0.0
        for m in bond_masks:
            both = reps[k] & m
            d += -0.25 if both != np.uint64(0) and both != m else 0.25
        out[k] = d


@njit(cache=True, inline="always")
def _find(reps, starts, base, shift, s):
    """Index of ``s`` in the increasing ``reps``, ``len(reps)`` if absent. ``starts[k]`` is the first index
    whose ``(rep - base) >> shift`` is at least ``k`` (``prefix_index``), so the binary search runs in one
    short stretch of ``reps`` instead of the whole array (a cache miss per level at 1.6e7 orbits)."""
    n_reps = reps.shape[0]
    if s < base:
        return n_reps
    key = (s - base) >> np.uint64(shift)
    if key >= np.uint64(starts.shape[0] - 1):
        return n_reps
    lo, hi = np.int64(starts[key]), np.int64(starts[key + np.uint64(1)])
    while lo < hi:
        mid = (lo + hi) >> 1
        if reps[mid] < s:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < n_reps and reps[lo] == s else n_reps


@njit(cache=True)
def _row_hops(r, pos, bond_masks, point_masks, flip_sign, reps, starts, base, shift, tables, full, row_tops, n, lx,
              ly, per_cell, images, cols):
    n_point = tables.shape[0]
    top = _ONE << np.uint64(n - 1)
    for p in range(n_point):
        images[p] = _point_image(r, tables, p)
    for b in range(bond_masks.shape[0]):
        m = bond_masks[b]
        both = r & m
        if both == np.uint64(0) or both == m:
            continue
        best, best_flip = np.uint64(0), False
        for p in range(n_point):
            u = images[p] ^ point_masks[p, b]
            for _ in range(ly):
                t = u
                for _ in range(lx):
                    flip = (t & top) == np.uint64(0)
                    w = t ^ full if flip else t
                    if w > best:
                        best, best_flip = w, flip
                    t = _tx(t, full, n, ly * per_cell)
                u = _ty(u, row_tops, ly, per_cell)
        index = _find(reps, starts, base, shift, best)
        cols[pos] = ~np.int32(index) if flip_sign and best_flip else np.int32(index)
        pos += 1


@njit(cache=True, parallel=True)
def fill_hops(reps, starts, base, shift, start, stop, ptr, bond_masks, point_masks, flip_sign, tables, full, row_tops,
              n, lx, ly, per_cell, cols):
    """The hops of rows ``start:stop``: for each antiparallel bond of the representative, the orbit of the
    flipped state as an index into ``reps`` (``len(reps)`` where that orbit is not in the sector; found
    through ``prefix_index``'s ``starts, base, shift``), stored
    as ``~index`` where its character is -1 (the flip, when ``flip_sign``). ``point_masks[p, b]`` is
    bond ``b``'s mask moved by point element ``p``, so every image costs one XOR."""
    for k in prange(start, stop):
        images = np.empty(tables.shape[0], np.uint64)
        _row_hops(reps[k], ptr[k], bond_masks, point_masks, flip_sign, reps, starts, base, shift, tables, full,
                  row_tops, n, lx, ly, per_cell, images, cols)


@njit(cache=True, parallel=True)
def matvec(c, scaled, diag, ptr1, cols1, h1, ptr2, cols2, h2, sqrt_size, out):
    """``out = H c`` in the orthonormal orbit basis, from the amplitudes a = c / sqrt|O| of the orbit
    members (``scaled``, with one trailing 0 for orbits outside the sector): the hops of a representative
    pick up ``h`` times the member amplitude of the orbit they land in, and sqrt|O| turns the result back."""
    for k in prange(c.shape[0]):
        s1 = 0.0
        for q in range(ptr1[k], ptr1[k + 1]):
            j = cols1[q]
            s1 += scaled[j] if j >= 0 else -scaled[~j]
        s2 = 0.0
        if h2 != 0.0:
            for q in range(ptr2[k], ptr2[k + 1]):
                j = cols2[q]
                s2 += scaled[j] if j >= 0 else -scaled[~j]
        out[k] = diag[k] * c[k] + sqrt_size[k] * (h1 * s1 + h2 * s2)


@njit(cache=True, inline="always")
def _unrank(r, bits, k, binom):
    """The ``r``-th smallest word of ``bits`` bits with ``k`` set (combinatorial number system; ``binom[m, k]``
    = C(m, k), ``ed._binomials``)."""
    s = np.uint64(0)
    for pos in range(bits - 1, -1, -1):
        if k == 0:
            break
        below = binom[pos, k]  # words with this bit clear
        if r >= below:
            s |= _ONE << np.uint64(pos)
            r -= below
            k -= 1
    return s


@njit(cache=True, inline="always")
def _is_representative(s, tables, full, row_tops, n, lx, ly, per_cell):
    """Whether ``s`` is the largest integer of its orbit; stops at the first larger image, which for
    almost every state is one of the first few translations."""
    for p in range(tables.shape[0]):
        u = _point_image(s, tables, p)
        for _ in range(ly):
            t = u
            for _ in range(lx):
                if t > s or t ^ full > s:
                    return False
                t = _tx(t, full, n, ly * per_cell)
            u = _ty(u, row_tops, ly, per_cell)
    return True


@njit(cache=True)
def _walk_representatives(r0, r1, binom, tables, full, row_tops, n, lx, ly, per_cell, out, pos):
    """Representatives among the Sz = 0 states of ranks ``[r0, r1)`` (top bit set, the rest in increasing
    order), written at ``out[pos:]`` unless ``out`` is empty; returns how many."""
    top = _ONE << np.uint64(n - 1)
    low = _unrank(r0, n - 1, n // 2 - 1, binom)
    count = 0
    for _ in range(r1 - r0):
        s = top | low
        if _is_representative(s, tables, full, row_tops, n, lx, ly, per_cell):
            if out.shape[0]:
                out[pos + count] = s
            count += 1
        if low == np.uint64(0):  # n = 2: the only state
            break
        c = low & (~low + _ONE)  # Gosper's hack: the next word with as many bits set
        r = low + c
        low = (((r ^ low) >> np.uint64(2)) // c) | r
    return count


@njit(cache=True, parallel=True)
def count_representatives(starts, binom, tables, full, row_tops, n, lx, ly, per_cell, counts):
    """``counts[i]``: representatives among the ranks ``[starts[i], starts[i + 1])``."""
    empty = np.empty(0, np.uint64)
    for i in prange(counts.shape[0]):
        counts[i] = _walk_representatives(starts[i], starts[i + 1], binom, tables, full, row_tops, n, lx, ly,
                                          per_cell, empty, 0)


@njit(cache=True, parallel=True)
def fill_representatives(starts, offsets, binom, tables, full, row_tops, n, lx, ly, per_cell, out):
    """The representatives of ``count_representatives``' ranges, at ``out[offsets[i]:]``, increasing."""
    for i in prange(starts.shape[0] - 1):
        _walk_representatives(starts[i], starts[i + 1], binom, tables, full, row_tops, n, lx, ly, per_cell, out,
                              offsets[i])


def prefix_index(reps: np.ndarray) -> tuple[np.ndarray, np.uint64, int]:
    """``(starts, base, shift)`` for ``_find``: the increasing ``reps`` bucketed by the top bits of
    ``rep - reps[0]``, about two buckets an orbit (uint32 starts: 134 MB at 1.6e7 orbits)."""
    n = len(reps)
    base = np.uint64(reps[0]) if n else np.uint64(0)
    bits = max(1, n.bit_length() + 1)
    span = int(reps[-1] - base) if n else 0
    shift = max(0, span.bit_length() - bits)
    keys = (reps - base) >> np.uint64(shift)
    starts = np.searchsorted(keys, np.arange((span >> shift) + 2, dtype=np.uint64))
    return starts.astype(np.uint32 if n < 2**32 else np.int64), base, shift
