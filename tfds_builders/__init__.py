"""TensorFlow Datasets builders; importing this package registers them with ``tfds``."""
from tfds_builders import photonic_crystals  # noqa: F401  registers photonic_crystals/*
from tfds_builders.frustrated_magnets import frustrated_magnets  # noqa: F401  registers frustrated_magnets/*
