"""The paper's data-scarce comparison: plain CNN vs invariant vs invariant multiscale, over training sizes and seeds.

    python benchmarks/compare_models.py photonic --npz data/photonic_gapped_n6000_seed0.npz \\
        --sizes 100 200 400 800 1600 --seeds 0 1 2 --out docs/comparison_photonic

The options, their examples and the protocol: ``keras_imnn.training.experiments.compare_models`` (``--help``).
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_imnn.cli_options import report_user_errors  # noqa: E402
from keras_imnn.training.experiments.compare_models import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(report_user_errors("compare_models", main))
