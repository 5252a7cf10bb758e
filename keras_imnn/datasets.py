"""The zoo's TensorFlow Datasets, registered with ``tfds`` by importing this module.

    import keras_imnn.datasets  # registers photonic_crystals/* and frustrated_magnets/*
    import tensorflow_datasets as tfds
    pairs = tfds.load("photonic_crystals/gapped", split="train", as_supervised=True)  # (eps, tm_gap_ratio)

``import keras_imnn`` stays light: it imports TensorFlow Datasets only when ``keras_imnn.datasets`` is first used.
The builders themselves live in ``tfds_builders`` (``import tfds_builders`` registers them too, as before).
"""
from __future__ import annotations

from tfds_builders.frustrated_magnets.frustrated_magnets import FrustratedMagnets
from tfds_builders.photonic_crystals import PhotonicCrystals

#: TFDS name → builder class (each config is ``name/config``, e.g. ``photonic_crystals/general``).
BUILDERS = {"photonic_crystals": PhotonicCrystals, "frustrated_magnets": FrustratedMagnets}

__all__ = ["BUILDERS", "FrustratedMagnets", "PhotonicCrystals"]
