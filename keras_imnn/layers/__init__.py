"""Keras layers for invariant multiscale networks (all ``keras.ops``, serializable).

Periodic padding/convolution give exact equivariance to periodic shifts; ``GroupAverage`` or
``SymmetricPeriodicConv2D`` add a point group; ``InvariantPooling2D`` makes it an invariance.
"""
from keras_imnn.layers.augment import RandomLatticeSymmetry
from keras_imnn.layers.band_edges import BandEdges, RelativeAbsoluteError
from keras_imnn.layers.blocks import DilatedBlock, receptive_field
from keras_imnn.layers.conv import PeriodicConv2D, SymmetricPeriodicConv2D
from keras_imnn.layers.padding import PeriodicPadding2D
from keras_imnn.layers.pooling import InvariantPooling2D
from keras_imnn.layers.symmetry import GroupAverage, apply_element, group_elements
from keras_imnn.layers.validation import CheckedRescaling, NonFiniteToNaN

__all__ = [
    "BandEdges",
    "CheckedRescaling",
    "DilatedBlock",
    "GroupAverage",
    "InvariantPooling2D",
    "NonFiniteToNaN",
    "PeriodicConv2D",
    "PeriodicPadding2D",
    "RandomLatticeSymmetry",
    "RelativeAbsoluteError",
    "SymmetricPeriodicConv2D",
    "apply_element",
    "group_elements",
    "receptive_field",
]
