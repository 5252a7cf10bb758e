"""A periodic lattice as data, and its finite periodic copies (tori), from which every user derives what it needs.

A :class:`Lattice` is what a physicist draws: the basis vectors a1, a2, the sites of one cell (positions in
units of the basis), the bonds by neighbour order, and the point group as integer matrices acting on cell
coordinates about a fixed point (``centre``). Each point-group element's sublattice permutation and cell
offsets follow from the positions (:meth:`Lattice.point_op`), so a new lattice declares no permutation.

A :class:`Torus` is that lattice on ``L1 x L2`` cells with periodic boundaries. Site ``s`` of cell ``(x, y)``
is site ``(x * L2 + y) * k + s`` (``k`` sites per cell): the row-major order of an ``(L1, L2, k)`` array, so
the spins of a configuration are ``bits.reshape(L1, L2, k)`` (the models' input, :attr:`Torus.feature_shape`)
and every site permutation below is also the index map of that tensor. From it come the ED's bonds and
symmetry generators, the Marshall-like sublattice, and every symmetry (point element x translation) as a
site permutation, which the invariant layers and the augmentation apply to tensors.

Numpy only: the physics packages and the layers both use it.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

#: A bond type: site ``s`` of cell R -- site ``t`` of cell ``R + (d1, d2)``.
Bond = tuple[int, int, tuple[int, int]]


@dataclass(frozen=True, eq=False)
class PointOp:
    """One point-group element: site ``s`` of cell R goes to site ``sublattice[s]`` of cell ``matrix @ R + offsets[s]``.

    Attributes:
        matrix: ``(2, 2)`` int, the element on cell coordinates (in units of a1, a2).
        sublattice: ``(k,)`` int, the image sublattice of each sublattice.
        offsets: ``(k, 2)`` int, the cell offset of each sublattice's image.
    """

    matrix: np.ndarray
    sublattice: np.ndarray
    offsets: np.ndarray


@dataclass(frozen=True, eq=False)  # arrays inside: compared and hashed by identity
class Lattice:
    """A two-dimensional periodic lattice.

    Attributes:
        name: registry name (``keras_imnn.lattices.LATTICES``).
        basis: ``(2, 2)`` float, rows a1 and a2 (Cartesian, lattice constant 1).
        positions: ``(k, 2)`` float, the sites of one cell in units of a1, a2.
        bonds: bond types by neighbour order: ``bonds[0]`` the J1 bonds, ``bonds[1]`` the J2 bonds.
        point_ops: the point-group generators by name, as ``(2, 2)`` int matrices on cell coordinates.
        generator_sets: names from ``point_ops`` by preference: a torus takes the first set whose every
            element maps its cells onto themselves (e.g. the 90° rotation on squares only).
        centre: ``(2,)`` the point the point group fixes, in units of a1, a2.
        marshall: ``((c1, c2), (p_0, ..., p_{k-1}))``: site s of cell (x, y) is on Marshall sublattice
            ``(c1 x + c2 y + p_s) mod 2``; None where the lattice is not bipartite in that way.
        min_cells: the fewest cells along each axis of a torus (fewer would count some bonds twice).
        citation: where the lattice's conventions or reference numbers come from.
    """

    name: str
    basis: np.ndarray = field(repr=False)
    positions: np.ndarray = field(repr=False)
    bonds: tuple[tuple[Bond, ...], ...] = field(repr=False)
    point_ops: dict[str, np.ndarray] = field(repr=False)
    generator_sets: tuple[tuple[str, ...], ...] = field(repr=False)
    centre: np.ndarray = field(default_factory=lambda: np.zeros(2), repr=False)
    marshall: tuple[tuple[int, int], tuple[int, ...]] | None = field(default=None, repr=False)
    min_cells: int = 3
    citation: str = field(default="", repr=False)

    @property
    def sites_per_cell(self) -> int:
        return len(self.positions)

    def point_op(self, name: str) -> PointOp:
        """The element ``point_ops[name]`` with its sublattice permutation and offsets, from the positions."""
        matrix = np.asarray(self.point_ops[name], dtype=np.int64)
        centre = np.asarray(self.centre, dtype=float)
        images = centre + (np.asarray(self.positions, dtype=float) - centre) @ matrix.T  # (k, 2)
        sublattice, offsets = [], []
        for image in images:
            # The image sits on sublattice t of cell R when image - positions[t] is an integer vector R.
            shift = image - np.asarray(self.positions, dtype=float)
            whole = np.flatnonzero(np.all(np.abs(shift - np.round(shift)) < 1e-9, axis=1))
            if len(whole) != 1:
                raise ValueError(f"{self.name}: point element {name!r} maps a site to {image}, which is not "
                                 "one site of the lattice")
            sublattice.append(int(whole[0]))
            offsets.append(np.round(shift[whole[0]]).astype(np.int64))
        return PointOp(matrix, np.array(sublattice), np.array(offsets))

    def torus(self, shape: tuple[int, int] | list[int]) -> Torus:
        """This lattice on ``shape = (L1, L2)`` cells with periodic boundaries; ValueError for a bad shape."""
        try:
            # operator.index, not int(): a shape such as (4.7, 4) must not quietly become 4 x 4.
            dims = tuple(operator.index(s) for s in shape)
        except TypeError:
            dims = ()
        if len(dims) != 2 or min(dims) < self.min_cells:
            raise ValueError(f"{self.name} lattice shape must be two integers (Lx, Ly) with Lx, Ly >= "
                             f"{self.min_cells}, got {shape!r}")
        return Torus(self, dims)


class Torus:
    """A :class:`Lattice` on ``L1 x L2`` cells with periodic boundaries; sites ``(x * L2 + y) * k + s``.

    Attributes:
        lattice: the lattice; name: its name; shape: ``(L1, L2)``.
        nn_bonds, nnn_bonds: ``(n, 2)`` int site pairs of the J1 and J2 bonds (each bond type over every
            cell in site order, types in the lattice's order).
        translations: ``{"Tx": perm, "Ty": perm}``, the shifts by one cell along a1 and a2.
        point_group: the generators of the torus's point group (``Lattice.generator_sets``) as site
            permutations: site i goes to site ``perm[i]``.
    """

    def __init__(self, lattice: Lattice, shape: tuple[int, int]) -> None:
        self.lattice, self.name, self.shape = lattice, lattice.name, shape
        cx, cy = np.divmod(np.arange(shape[0] * shape[1]), shape[1])
        bonds = [np.concatenate([np.stack([self.site(cx, cy, a), self.site(cx + d[0], cy + d[1], b)], 1)
                                 for a, b, d in order]) for order in lattice.bonds]
        x, y, s = self.cells
        self.nn_bonds = bonds[0]
        self.nnn_bonds = bonds[1] if len(bonds) > 1 else np.zeros((0, 2), np.int64)
        self.translations = {"Tx": self.site(x + 1, y, s), "Ty": self.site(x, y + 1, s)}
        fitting = [names for names in lattice.generator_sets if all(self.fits(n) for n in names)]
        self.point_group = {name: self.point_permutation(name) for name in (fitting[0] if fitting else ())}

    def __repr__(self) -> str:
        return f"Torus({self.name!r}, shape={self.shape})"

    @property
    def sites_per_cell(self) -> int:
        return self.lattice.sites_per_cell

    @property
    def n_sites(self) -> int:
        return self.shape[0] * self.shape[1] * self.sites_per_cell

    @property
    def feature_shape(self) -> tuple[int, int, int]:
        """``(L1, L2, k)``: the shape of one configuration as the models take it."""
        return (*self.shape, self.sites_per_cell)

    @property
    def cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(x, y, s)`` of every site, in site order."""
        sites = np.arange(self.n_sites)
        cell, s = np.divmod(sites, self.sites_per_cell)
        return cell // self.shape[1], cell % self.shape[1], s

    def site(self, x: np.ndarray, y: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Site index of sublattice ``s`` in cell ``(x, y)``, the cell taken modulo the torus."""
        return ((x % self.shape[0]) * self.shape[1] + (y % self.shape[1])) * self.sites_per_cell + s

    def fits(self, name: str) -> bool:
        """Whether point element ``name`` maps the torus onto itself: it maps the periods L1 a1, L2 a2 onto
        periods (always on L x L, for any integer matrix)."""
        matrix = np.asarray(self.lattice.point_ops[name])
        periods = matrix @ np.diag(self.shape)  # columns: the images of L1 a1 and L2 a2
        return bool(np.all(periods % np.array(self.shape)[:, None] == 0))

    def point_permutation(self, name: str) -> np.ndarray:
        """``(N,)`` site permutation of point element ``name`` (which must fit the torus)."""
        op = self.lattice.point_op(name)
        x, y, s = self.cells
        image = op.matrix @ np.stack([x, y]) + op.offsets[s].T
        return self.site(image[0], image[1], op.sublattice[s])

    @property
    def generators(self) -> dict[str, np.ndarray]:
        """All site-permutation generators: translations then point group."""
        return {**self.translations, **self.point_group}

    @cached_property
    def point_elements(self) -> np.ndarray:
        """``(P, N)`` every element of the point group the generators make, identity first."""
        return _closure(list(self.point_group.values()), self.n_sites)

    @cached_property
    def symmetries(self) -> np.ndarray:
        """``(P * L1 * L2, N)`` every symmetry as a site permutation, translation after point element, in the
        order (point element, shift along a1, shift along a2); the identity first."""
        l1, l2 = self.shape
        x, y, s = self.cells
        shifts = np.stack([self.site(x + a, y + b, s) for a in range(l1) for b in range(l2)])  # (L1 L2, N)
        # site i goes to shift[point[i]]: [shift, point, i] -> [point, shift, i]
        return shifts[:, self.point_elements].transpose(1, 0, 2).reshape(-1, self.n_sites)

    @property
    def sublattice(self) -> np.ndarray:
        """``(N,)`` 0/1 Marshall sublattice (0 = Marshall's A); ValueError where the lattice has none."""
        if self.lattice.marshall is None:
            raise ValueError(f"the {self.name} lattice has no Marshall sublattice (it is not bipartite)")
        (c1, c2), parity = self.lattice.marshall
        x, y, s = self.cells
        return ((c1 * x + c2 * y + np.asarray(parity)[s]) % 2).astype(np.int64)


def _closure(generators: list[np.ndarray], n: int) -> np.ndarray:
    """``(|G|, n)`` the group the permutations ``generators`` make, identity first (breadth first)."""
    identity = np.arange(n)
    found = {identity.tobytes(): identity}
    frontier = [identity]
    while frontier:
        new = []
        for perm in frontier:
            for g in generators:
                image = g[perm]
                if image.tobytes() not in found:
                    found[image.tobytes()] = image
                    new.append(image)
        frontier = new
    return np.stack(list(found.values()))
