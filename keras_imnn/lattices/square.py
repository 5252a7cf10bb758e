"""The square lattice of the J1-J2 model: J1 on the horizontal and vertical bonds, J2 on both diagonals."""
from __future__ import annotations

import numpy as np

from keras_imnn.lattices.base import Lattice

SQUARE = Lattice(
    name="square",
    basis=np.eye(2),
    positions=np.zeros((1, 2)),
    bonds=(((0, 0, (1, 0)), (0, 0, (0, 1))), ((0, 0, (1, 1)), (0, 0, (1, -1)))),
    # About site 0: x -> -x, y -> -y, x <-> y; D4 on L x L tori, D2 on rectangles.
    point_ops={"Px": np.array([[-1, 0], [0, 1]]), "Py": np.array([[1, 0], [0, -1]]),
               "Pd": np.array([[0, 1], [1, 0]])},
    generator_sets=(("Px", "Py", "Pd"), ("Px", "Py")),
    marshall=((1, 1), (0,)),
)
