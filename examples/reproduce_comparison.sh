#!/usr/bin/env bash
# Reproduce the paper's data-scarce comparison (tables and plots in the README).
# Photonic: cells 0..5999 of photonic_crystals/gapped (test = the first 2 000, validation 500).
set -euo pipefail
mkdir -p data docs
keras-imnn generate photonic --config gapped --n 6000 --out data
python benchmarks/compare_models.py photonic --npz data/photonic_gapped_n6000_seed0.npz \
    --sizes 100 200 400 800 1600 3500 --seeds 0 1 2 --out docs/comparison_photonic
python benchmarks/compare_models.py photonic --npz data/photonic_gapped_n6000_seed0.npz \
    --variants dilations --sizes 400 --seeds 0 1 2 --out docs/dilations_photonic
# Magnet: square 6×4 at J2 = 0.5 (and 0.0, and the triangular case), train fraction ε = 0.05.
for config in square_6x4_j2_0.5 square_6x4_j2_0.0 triangular_6x4_j2_1.3; do
  python benchmarks/compare_models.py magnet --dataset frustrated_magnets/$config \
      --seeds 0 1 2 --out docs/comparison_magnet_$config
done
python benchmarks/compare_models.py magnet --variants dilations --seeds 0 1 2 --out docs/dilations_magnet
