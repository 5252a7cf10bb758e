"""The lattices as data (numpy only): a new lattice is one file defining a ``Lattice`` and one line below."""
from __future__ import annotations

from keras_imnn.lattices.base import Bond, Lattice, PointOp, Torus
from keras_imnn.lattices.kagome import KAGOME
from keras_imnn.lattices.square import SQUARE
from keras_imnn.lattices.triangular import TRIANGULAR

#: Every lattice by name; ``get_lattice`` and ``keras_imnn.physics.magnet.lattices.make_lattice`` look here.
LATTICES: dict[str, Lattice] = {lattice.name: lattice for lattice in (SQUARE, TRIANGULAR, KAGOME)}

__all__ = ["LATTICES", "Bond", "Lattice", "PointOp", "Torus", "get_lattice"]


def get_lattice(name: str) -> Lattice:
    """The registered lattice ``name``; ValueError naming the accepted ones."""
    if name not in LATTICES:
        raise ValueError(f"unknown lattice {name!r}; accepted: {', '.join(LATTICES)}")
    return LATTICES[name]
