"""Fine-tuning through the trivial-group twin keeps what the caller froze frozen."""
import numpy as np

import keras_imnn
from keras_imnn.physics.photonic.cells import random_unit_cells


def test_freeze_trunk_on_symmetric_cells_leaves_the_trunk_untouched():
    # gapped cells are C4v-symmetric: fit trains the twin, which once made every layer trainable.
    x = random_unit_cells(24, "gapped", seed=1)[..., None].astype("float32")
    y = np.random.default_rng(0).random(24).astype("float32")
    trunks = {}
    for freeze in ("trunk", "none"):
        model = keras_imnn.load("photonic_inv", pretrained=False, filters=4, head_units=(4,))
        before = [w.copy() for w in model.get_layer("group_average").get_weights()]
        tuned, history = keras_imnn.finetune(model, x, y, freeze=freeze, epochs=2, learning_rate=1e-2, verbose=0)
        assert history.trained_with_trivial_group
        after = tuned.get_layer("group_average").get_weights()
        trunks[freeze] = max(float(np.abs(a - b).max()) for a, b in zip(before, after))
    assert trunks["trunk"] == 0.0
    assert trunks["none"] > 1e-4
