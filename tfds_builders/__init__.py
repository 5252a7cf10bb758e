"""TensorFlow Datasets builders; importing this package registers them with ``tfds``."""
from tfds_builders.frustrated_magnets import frustrated_magnets  # noqa: F401  registers the builder
