"""TensorFlow Datasets builders; importing this package registers them with ``tfds``."""
