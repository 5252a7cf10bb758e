"""Experiments over many runs: comparisons of models on the same data and seeds, the J2-scan generalization study,
the transfer of a sign model to other lattices, and the comparison script behind ``benchmarks/compare_models.py``."""
