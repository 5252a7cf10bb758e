"""TensorFlow Datasets builders; importing this package registers them with ``tfds``."""
from tfds_builders import photonic_crystals  # noqa: F401  registers photonic_crystals/*
