#!/usr/bin/env bash
# Reproduce the paper's data-scarce comparison (tables and plots in the README, results in docs/).
# Each compare_models.py call is resumable (rerun it to continue) and takes --max-minutes.
set -euo pipefail
mkdir -p data docs

# Photonic: cells 0..5999 of photonic_crystals/gapped (test = the first 2 000, validation 500,
# train pool 3 500). On 2 CPU cores (3 seeds): ≈ 1 h for 100–400, 1 h for 800, ≈ 2 h for 1 600,
# ≈ 2.5 h for the full 3 500 (≈ 8–29 min a run on one core, two at a time).
keras-imnn generate photonic --config gapped --n 6000 --out data
python benchmarks/compare_models.py photonic --npz data/photonic_gapped_n6000_seed0.npz \
    --sizes 100 200 400 800 1600 3500 --seeds 0 1 2 --epochs 60 --patience 15 --out docs/comparison_photonic
python benchmarks/compare_models.py photonic --npz data/photonic_gapped_n6000_seed0.npz \
    --variants dilations --sizes 400 --seeds 0 1 2 --epochs 100 --patience 15 --out docs/dilations_photonic

# Pretraining pays: fine-tune photonic_inv_dilated (pretrained on the TM gap) on a TE target of
# 200 cells vs the same model from scratch: the TE midgap frequency, and the (sparse) TE gap.
keras-imnn generate photonic --config gapped --n 2400 --out data
for target in te_midgap te; do
  python examples/finetune_on_your_data.py --npz data/photonic_gapped_n2400_seed0.npz --target $target \
      --n-train 200 --seeds 0 1 2 --epochs 30 --patience 10 --out docs/finetune_$target.json
done

# Magnet: square 6×4 at J2 = 0.5 and 0.0, and the anisotropic triangular lattice (J2 = 1.3; its 6×4
# grid keeps only the 180° rotation, hence --group c2); train fraction ε = 0.05 sampled ∝ |ψ|².
# 8 epochs per run: the budget of the README's 2-core tables (≈ 4–18 min per run, ≈ 1.5 h per lattice).
for j2 in 0.5 0.0; do
  keras-imnn generate magnet --lattice square --shape 6 4 --j2 $j2 --out data/square_6x4_j2_$j2
  python benchmarks/compare_models.py magnet --npz-dir data/square_6x4_j2_$j2 \
      --seeds 0 1 2 --epochs 8 --patience 3 --batch-size 256 --out docs/comparison_magnet_square_j2_$j2
done
keras-imnn generate magnet --lattice triangular --shape 6 4 --j2 1.3 --out data/triangular_6x4_j2_1.3
python benchmarks/compare_models.py magnet --npz-dir data/triangular_6x4_j2_1.3 --group c2 \
    --seeds 0 1 2 --epochs 8 --patience 3 --batch-size 256 --out docs/comparison_magnet_triangular_j2_1.3
python benchmarks/compare_models.py magnet --npz-dir data/square_6x4_j2_0.5 --variants dilations \
    --seeds 0 1 2 --epochs 8 --patience 3 --batch-size 256 --out docs/dilations_magnet

# Magnet transfer: magnet_inv and magnet_inv_dilated pretrained at square J2 = 0.5, fine-tuned on 1 000
# states of J2 = 0 and of the triangular lattice (its C2 group), vs the same model from scratch.
for model in magnet_inv magnet_inv_dilated; do
  python examples/finetune_on_your_data.py --model $model --npz-dir data/square_6x4_j2_0.0 \
      --n-train 1000 --seeds 0 1 2 --epochs 30 --patience 5 --out docs/finetune_${model}_j2_0.0.json
  python examples/finetune_on_your_data.py --model $model --npz-dir data/triangular_6x4_j2_1.3 --group c2 \
      --n-train 1000 --seeds 0 1 2 --epochs 30 --patience 5 --out docs/finetune_${model}_triangular.json
done
