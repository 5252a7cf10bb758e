"""Experiments over many runs: comparisons of models on the same data and seeds, the J2-scan generalization study,
and the comparison script behind ``benchmarks/compare_models.py``."""
