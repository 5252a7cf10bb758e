"""Frustrated spin-1/2 magnets: lattices, exact diagonalization, sign datasets."""
