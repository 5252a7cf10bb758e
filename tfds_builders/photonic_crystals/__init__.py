"""The ``photonic_crystals`` TFDS builder (registered with tfds on import)."""
from tfds_builders.photonic_crystals.photonic_crystals import (
    PhotonicCrystals,
    PhotonicCrystalsConfig,
)

__all__ = ["PhotonicCrystals", "PhotonicCrystalsConfig"]
