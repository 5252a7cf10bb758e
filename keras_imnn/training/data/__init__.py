"""A run's data: reading datasets and files into arrays, splitting them, and ``TaskData`` (splits with their task,
lattice and source); a user's arrays checked against a model."""
