"""Physics that makes the data: photonic band structures and frustrated-magnet ground states.

Nothing here imports Keras: the solvers are numpy/scipy (and QuSpin) so they can run in data
pipelines and on machines without a deep-learning backend.
"""
