"""The J1-J2 Heisenberg model's periodic lattices: ``make_lattice`` and which image groups keep their bonds.

The lattices themselves are data in :mod:`keras_imnn.lattices` (one file each, one registry line); a
``make_lattice(name, shape)`` is a :class:`~keras_imnn.lattices.Torus` (its spins fill the Sz = 0 sector, or
Sz = +1/2 for an odd number of sites: ``ed.up_spins``).
The image groups of :mod:`keras_imnn.groups` (D4, C2, ...) act on an ``(L1, L2, k)`` tensor by moving cells
and keeping each site's sublattice: ``preserving_groups`` says which of them map a lattice's bonds onto
themselves (all on the square lattice, C2 on the anisotropic triangular one, none but the trivial group on
kagome, whose point group permutes sublattices and needs the site-permutation layers).
"""
from __future__ import annotations

import numpy as np

from keras_imnn.groups import GROUPS, GroupElement, normalize_group, site_permutation
from keras_imnn.lattices import LATTICES, Torus, get_lattice

__all__ = ["LATTICES", "Torus", "check_group_preserves", "make_lattice", "maps_bonds", "preserving_groups"]


def make_lattice(name: str, shape: tuple[int, int] | list[int]) -> Torus:
    """The periodic lattice ``name`` (one of ``LATTICES``) on ``shape = (L1, L2)`` cells.

    The shape must fit the lattice (``Lattice.min_cells``: 3 on the square grids, where fewer would count bonds
    twice).
    """
    return get_lattice(name).torus(shape)


def _bond_sets(lattice: Torus, p: np.ndarray | None = None) -> list[set[frozenset[int]]]:
    """The J1 and the J2 bonds as sets of site pairs, each site moved by the permutation ``p`` if given."""
    p = np.arange(lattice.n_sites) if p is None else p
    return [{frozenset((int(p[i]), int(p[j]))) for i, j in bonds} for bonds in (lattice.nn_bonds, lattice.nnn_bonds)]


def maps_bonds(lattice: Torus, g: GroupElement) -> bool:
    """Whether ``g`` (about cell 0, moving cells and keeping sublattices) maps the J1 bonds onto J1 bonds and the J2
    bonds onto J2 bonds of its image: the lattice itself, or the ``L2 x L1`` one for an element that transposes (as an
    invariant model averaging a rectangle over D4 sees its rotated copy). The J2 bonds count even at J2 = 0."""
    image = make_lattice(lattice.name, lattice.shape[::-1]) if g.transpose else lattice
    k = lattice.sites_per_cell
    cells = site_permutation(g, lattice.shape)
    return _bond_sets(lattice, (cells[:, None] * k + np.arange(k)).reshape(-1)) == _bond_sets(image)


def preserving_groups(name: str, shape: tuple[int, int] | list[int]) -> list[str]:
    """The groups of ``keras_imnn.groups.GROUPS`` every element of which ``maps_bonds`` of lattice ``name``
    ``shape``, smallest first: all of them on the square lattice, "trivial" and "c2" on the triangular one."""
    lattice = make_lattice(name, shape)
    return [group for group, elements in GROUPS.items() if all(maps_bonds(lattice, g) for g in elements)]


def check_group_preserves(group: str | None, name: str, shape: tuple[int, int] | list[int], where: str) -> None:
    """Refuse a point ``group`` that maps lattice ``name`` ``shape``'s bonds onto others: a model averaging over
    it would learn an invariance the data do not have, silently. The lattice's own name stands for its own point
    group acting on sites (``layers.LatticeAverage``): always accepted; another lattice's name never."""
    if group == name:
        return
    # The lattice's own group is named where the image groups do not hold it (several sites a cell, as kagome).
    own = [name] if get_lattice(name).sites_per_cell > 1 else []
    accepted = ", ".join(map(repr, [*preserving_groups(name, shape), *own]))
    if group in LATTICES:
        raise ValueError(f"{where}: group {group!r} is the {group} lattice's point group, and the data are on the "
                         f"{name} {shape[0]}x{shape[1]} lattice; accepted for it: {accepted}")
    if normalize_group(group) not in preserving_groups(name, shape):
        raise ValueError(f"{where}: group {group!r} does not map the bonds of the {name} {shape[0]}x{shape[1]} "
                         "lattice onto themselves (a model invariant under it would learn a symmetry the data lack); "
                         f"accepted for it: {accepted}")
