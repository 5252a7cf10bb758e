"""The hand-drawn cells of ``physics.photonic.hand_drawn``: what each kind is said to be."""
import numpy as np

from keras_imnn.groups import shift_symmetries
from keras_imnn.physics.photonic.hand_drawn import disc, independent_cells, two_tone


def test_cells_are_two_tone_in_nine_groups_and_off_centre_rods_are_shifted_rods():
    eps, groups, texts = independent_cells()
    assert eps.shape == (48, 32, 32) and len(groups) == len(texts) == 48 and len(set(groups)) == 9
    assert all(len(np.unique(cell)) == 2 for cell in eps)
    centred = two_tone(disc(0.5, 0.5, 0.25), 8.9, 1.0)
    corner = eps[texts.index("rod eps 8.9 r 0.25 at (0.1, 0.9)")]
    # (0.1, 0.9) is 0.4 = 12.8 pixels from the centre: not a whole-pixel shift, so compare the pixel counts
    assert abs((corner == 8.9).sum() - (centred == 8.9).sum()) <= 8
    at_origin = eps[texts.index("rod eps 8.9 r 0.3 at (0.0, 0.0)")]
    np.testing.assert_array_equal(np.roll(at_origin, (16, 16), axis=(0, 1))[::-1, ::-1],
                                  two_tone(disc(0.5, 0.5, 0.3), 8.9, 1.0))
    triangle = eps[texts.index("triangle eps 12 side 0.5")]
    # the identity and one mirror (flip of the columns) map it onto a shift of itself: no rotation
    np.testing.assert_array_equal(shift_symmetries(triangle[None, ..., None], "d4")[0][0], [1, 1] + [0] * 6)
