"""Periodic lattices for the J1-J2 Heisenberg model: bonds and symmetry permutations.

Sites are ordered row-major over an ``(Lx, Ly)`` array, ``i = x * Ly + y`` (the project
convention, see DESIGN.md). A site permutation ``p`` maps site ``i`` to site ``p[i]``.

- ``square``: J1 on the horizontal/vertical bonds, J2 on both diagonals.
- ``triangular``: the anisotropic triangular lattice drawn on a square grid: J1 on the
  horizontal/vertical bonds, J2 on the ``(+1, +1)`` diagonal only (J2 = J1 is the isotropic
  triangular lattice).
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, field

import numpy as np

from keras_imnn.groups import GROUPS, GroupElement, normalize_group, site_permutation

LATTICES = ("square", "triangular")
# Point-group generators by the names the sectors use, about site 0: x → −x flips the row index x.
_POINT_OPS = {
    "Px": GroupElement(False, True, False),  # x → −x
    "Py": GroupElement(False, False, True),  # y → −y
    "Pd": GroupElement(True, False, False),  # x ↔ y
    "Pa": GroupElement(True, True, True),  # (x, y) → (−y, −x)
    "I": GroupElement(False, True, True),  # (x, y) → (−x, −y)
}
# Generators that map each lattice's bonds onto themselves: (on Lx != Ly, on Lx = Ly). The triangular
# lattice keeps only the maps that fix the (+1, +1) diagonal: inversion, and on Lx = Ly the two
# diagonal mirrors (whose product is the inversion, so it is not listed twice).
_GENERATORS = {
    "square": (("Px", "Py"), ("Px", "Py", "Pd")),
    "triangular": (("I",), ("Pd", "Pa")),
}


@dataclass(frozen=True)
class Lattice:
    """A periodic ``Lx x Ly`` lattice.

    Attributes:
        name: ``"square"`` or ``"triangular"``.
        shape: ``(Lx, Ly)``.
        nn_bonds: ``(n_nn, 2)`` int array of J1 bonds ``(i, j)``.
        nnn_bonds: ``(n_nnn, 2)`` int array of J2 bonds ``(i, j)``.
        translations: ``{"Tx": perm, "Ty": perm}``, shifts by one site along x and y.
        point_group: generators of the point group that map the bond set onto itself,
            ``{"Px": x -> -x, "Py": y -> -y, "Pd": x <-> y, ...}`` (only those that apply).
    """

    name: str
    shape: tuple[int, int]
    nn_bonds: np.ndarray = field(repr=False)
    nnn_bonds: np.ndarray = field(repr=False)
    translations: dict[str, np.ndarray] = field(repr=False)
    point_group: dict[str, np.ndarray] = field(repr=False)

    @property
    def n_sites(self) -> int:
        return self.shape[0] * self.shape[1]

    @property
    def sublattice(self) -> np.ndarray:
        """``(N,)`` 0/1 checkerboard sublattice, 0 where ``x + y`` is even (Marshall's A)."""
        x, y = _coords(self.shape)
        return ((x + y) % 2).astype(np.int64)

    @property
    def generators(self) -> dict[str, np.ndarray]:
        """All site-permutation generators: translations then point group."""
        return {**self.translations, **self.point_group}


def _coords(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    sites = np.arange(shape[0] * shape[1])
    return sites // shape[1], sites % shape[1]


def make_lattice(name: str, shape: tuple[int, int] | list[int]) -> Lattice:
    """Build a periodic lattice.

    Args:
        name: one of ``LATTICES``.
        shape: ``(Lx, Ly)``, two integers, each >= 3 (smaller periodic lattices double-count
            bonds) and ``Lx * Ly`` even (the Sz = 0 sector needs an even number of spins).
    """
    if name not in LATTICES:
        raise ValueError(f"unknown lattice {name!r}; accepted: {', '.join(LATTICES)}")
    try:
        # operator.index, not int(): a shape such as (4.7, 4) must not quietly become 4 x 4.
        dims = tuple(operator.index(s) for s in shape)
    except TypeError:
        dims = ()
    if len(dims) != 2 or min(dims) < 3 or (dims[0] * dims[1]) % 2:
        raise ValueError(
            f"lattice shape must be two integers (Lx, Ly) with Lx, Ly >= 3 and Lx*Ly even, got {shape!r}"
        )
    shape = lx, ly = dims
    x, y = _coords(shape)

    def site(xx: np.ndarray, yy: np.ndarray) -> np.ndarray:
        return (xx % lx) * ly + (yy % ly)

    here = site(x, y)
    nn = np.concatenate([np.stack([here, site(x + 1, y)], 1), np.stack([here, site(x, y + 1)], 1)])
    diagonals = [site(x + 1, y + 1)] if name == "triangular" else [site(x + 1, y + 1), site(x + 1, y - 1)]
    nnn = np.concatenate([np.stack([here, d], 1) for d in diagonals])
    translations = {"Tx": site(x + 1, y), "Ty": site(x, y + 1)}
    point_group = {g: site_permutation(_POINT_OPS[g], shape) for g in _GENERATORS[name][lx == ly]}
    return Lattice(name, shape, nn, nnn, translations, point_group)


def _bond_sets(lattice: Lattice, p: np.ndarray | None = None) -> list[set[frozenset[int]]]:
    """The J1 and the J2 bonds as sets of site pairs, each site moved by the permutation ``p`` if given."""
    p = np.arange(lattice.n_sites) if p is None else p
    return [{frozenset((int(p[i]), int(p[j]))) for i, j in bonds} for bonds in (lattice.nn_bonds, lattice.nnn_bonds)]


def maps_bonds(lattice: Lattice, g: GroupElement) -> bool:
    """Whether ``g`` (about site 0) maps the J1 bonds onto J1 bonds and the J2 bonds onto J2 bonds of its image:
    the lattice itself, or the ``Ly x Lx`` one for an element that transposes (as an invariant model averaging
    a rectangle over D4 sees its rotated copy). The J2 bonds count even at J2 = 0."""
    image = make_lattice(lattice.name, lattice.shape[::-1]) if g.transpose else lattice
    return _bond_sets(lattice, site_permutation(g, lattice.shape)) == _bond_sets(image)


def preserving_groups(name: str, shape: tuple[int, int] | list[int]) -> list[str]:
    """The groups of ``keras_imnn.groups.GROUPS`` every element of which ``maps_bonds`` of lattice ``name``
    ``shape``, smallest first: all of them on the square lattice, "trivial" and "c2" on the triangular one."""
    lattice = make_lattice(name, shape)
    return [group for group, elements in GROUPS.items() if all(maps_bonds(lattice, g) for g in elements)]


def check_group_preserves(group: str | None, name: str, shape: tuple[int, int] | list[int], where: str) -> None:
    """Refuse a point ``group`` that maps lattice ``name`` ``shape``'s bonds onto others: a model averaging over
    it would learn an invariance the data do not have, silently."""
    accepted = preserving_groups(name, shape)
    if normalize_group(group) not in accepted:
        raise ValueError(f"{where}: group {group!r} does not map the bonds of the {name} {shape[0]}x{shape[1]} "
                         "lattice onto themselves (a model invariant under it would learn a symmetry the data lack); "
                         f"accepted for it: {', '.join(map(repr, accepted))}")
