"""2D photonic crystals: unit cells and band structures (numpy/scipy, no Keras)."""
