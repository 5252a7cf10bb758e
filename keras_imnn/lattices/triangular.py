"""The anisotropic triangular lattice drawn on a square grid: J1 on the horizontal and vertical bonds, J2 on the
(+1, +1) diagonal only (J2 = J1 is the isotropic triangular lattice).

Its point group keeps only the maps that fix that diagonal: the inversion (C2) on rectangles, and on squares the
two diagonal mirrors (whose product is the inversion). The Marshall sublattice is the square grid's checkerboard.
"""
from __future__ import annotations

import numpy as np

from keras_imnn.lattices.base import Lattice

TRIANGULAR = Lattice(
    name="triangular",
    basis=np.eye(2),
    positions=np.zeros((1, 2)),
    bonds=(((0, 0, (1, 0)), (0, 0, (0, 1))), ((0, 0, (1, 1)),)),
    # About site 0: x <-> y, (x, y) -> (-y, -x), (x, y) -> (-x, -y).
    point_ops={"Pd": np.array([[0, 1], [1, 0]]), "Pa": np.array([[0, -1], [-1, 0]]),
               "I": np.array([[-1, 0], [0, -1]])},
    generator_sets=(("Pd", "Pa"), ("I",)),
    marshall=((1, 1), (0,)),
)
