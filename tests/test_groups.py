"""keras_imnn.groups: group axioms, one action on arrays, vectors and sites, and shift detection."""
from __future__ import annotations

import itertools
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_imnn.groups import (
    GROUPS,
    check_group_fits,
    group_elements,
    orbit,
    orbit_is_translations,
    shift_symmetries,
    site_permutation,
    transform,
    transposes,
)
from keras_imnn.layers.symmetry import apply_element


def _d4_symmetric(rng: np.random.Generator, n: int) -> np.ndarray:
    """An (n, n) integer cell summed over its D4 orbit: exactly symmetric about the cell centre."""
    base = rng.integers(1, 20, size=(n, n)).astype(float)
    return sum(orbit(base, "d4", axes=(0, 1)))


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_group_axioms(rng, group):
    elements = group_elements(group)
    x = rng.normal(size=(5, 5))  # generic: every element gives a different image
    images = [transform(x, g, (0, 1)) for g in elements]
    assert len({im.tobytes() for im in images}) == len(elements)
    assert elements[0].matrix.tolist() == [[1, 0], [0, 1]]
    np.testing.assert_array_equal(images[0], x)
    matrices = {g.matrix.tobytes(): g for g in elements}
    assert len(matrices) == len(elements)
    for g, h in itertools.product(elements, elements):
        # Closure, and the matrices compose as the array maps do.
        k = matrices[(g.matrix @ h.matrix).tobytes()]
        np.testing.assert_array_equal(transform(transform(x, h, (0, 1)), g, (0, 1)), transform(x, k, (0, 1)))
    for g in elements:
        assert g.inverse() in elements
        np.testing.assert_array_equal(transform(transform(x, g, (0, 1)), g.inverse(), (0, 1)), x)


@pytest.mark.parametrize("axes", [(1, 2), (0, 1), (-2, -1)])
def test_numpy_transform_matches_keras_ops(rng, axes):
    x = rng.normal(size=(2, 6, 6, 3)).astype("float32")
    for g in group_elements("d4"):
        np.testing.assert_array_equal(transform(x, g, axes), keras.ops.convert_to_numpy(apply_element(x, g, axes)))


def test_matrix_acts_on_k_as_the_element_on_the_cell(rng):
    # ε'(M r) = ε(r) up to a translation, so |ε̂'(M m)| = |ε̂(m)| for every reciprocal vector m.
    n = 8
    cell = rng.normal(size=(n, n))
    spectrum = np.abs(np.fft.fft2(cell))
    m = np.stack(np.meshgrid(np.arange(n), np.arange(n), indexing="ij"), axis=-1)
    for g in group_elements("d4"):
        image = np.abs(np.fft.fft2(transform(cell, g, (0, 1))))
        gm = (m @ g.matrix.T) % n
        np.testing.assert_allclose(image[gm[..., 0], gm[..., 1]], spectrum, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 4), (4, 6), (3, 5)])
def test_site_permutation_is_the_array_map_about_site_0(rng, shape):
    values = rng.normal(size=shape[0] * shape[1])
    x, y = np.divmod(np.arange(values.size), shape[1])
    np.testing.assert_array_equal(site_permutation(group_elements("d2")[2], shape), (-x % shape[0]) * shape[1] + y)
    # On a rectangle the transposing elements map onto the (Ly, Lx) lattice, as transform maps the array.
    for g in group_elements("d4"):
        p = site_permutation(g, shape)
        image = transform(values.reshape(shape), g, (0, 1))
        assert sorted(p) == list(range(values.size))
        moved = np.empty_like(values)
        moved[p] = values
        # About site 0 instead of the centre: the same map up to a periodic shift.
        assert any(np.array_equal(np.roll(image, s, (0, 1)), moved.reshape(image.shape))
                   for s in itertools.product(range(image.shape[0]), range(image.shape[1])))


def _bond_set(lattice):
    return [{frozenset(b) for b in bonds.tolist()} for bonds in (lattice.nn_bonds, lattice.nnn_bonds)]


@pytest.mark.parametrize("shape", [(6, 4), (4, 4)])
def test_which_elements_map_each_magnet_lattice_onto_its_image(shape):
    """The groups the magnet lattices have on this grid, across the two orientations of a rectangle: the square
    J1-J2 lattice all of D4 (a rotated Lx x Ly lattice is the Ly x Lx one), the anisotropic triangular one only
    the maps that keep its (+1, +1) diagonal: E, the inversion and the two diagonal mirrors (none of D2's
    axis mirrors, nor the 90° rotations, which make it the (+1, -1) diagonal)."""
    from keras_imnn.physics.magnet.lattices import make_lattice

    triangular = {g for g in group_elements("d4") if g.flip_rows == g.flip_cols}  # E, I, x <-> y, (x, y) -> (-y, -x)
    for name, expected in [("square", set(group_elements("d4"))), ("triangular", triangular)]:
        fitting = set()
        for g in group_elements("d4"):
            p = site_permutation(g, shape)
            image = make_lattice(name, shape[::-1] if g.transpose else shape)
            mapped = [{frozenset((int(p[i]), int(p[j]))) for i, j in bonds} for bonds in
                      (make_lattice(name, shape).nn_bonds, make_lattice(name, shape).nnn_bonds)]
            if mapped == _bond_set(image):
                fitting.add(g)
        assert fitting == expected, name
    # Of the named groups only C2 fits the triangular lattice; D2, C4 and D4 would average over wrong maps.
    assert [name for name in GROUPS if set(group_elements(name)) <= triangular] == ["trivial", "c2"]
    # The library's own check (used to refuse such training) agrees with the one written out here.
    from keras_imnn.physics.magnet.lattices import maps_bonds, preserving_groups

    for name, expected in [("square", set(group_elements("d4"))), ("triangular", triangular)]:
        assert {g for g in group_elements("d4") if maps_bonds(make_lattice(name, shape), g)} == expected, name
    assert preserving_groups("triangular", shape) == ["trivial", "c2"]
    assert preserving_groups("square", shape) == list(GROUPS)


def test_a_group_that_does_not_keep_the_lattice_is_refused_naming_what_is_accepted():
    from keras_imnn.physics.magnet.lattices import check_group_preserves

    for group in ("d2", "d4", "c4"):
        with pytest.raises(ValueError, match=rf"^magnet_inv: group '{group}' does not map the bonds of the triangular "
                                             r"4x4 lattice onto themselves .*; accepted for it: 'trivial', 'c2'$"):
            check_group_preserves(group, "triangular", (4, 4), where="magnet_inv")
    for group in ("c2", None, "trivial"):
        check_group_preserves(group, "triangular", (6, 4), where="magnet_inv")
    check_group_preserves("d4", "square", (6, 4), where="magnet_inv")  # across the rectangle's two orientations


def test_shift_symmetries_finds_the_shifts(rng):
    sym = _d4_symmetric(rng, 8)
    x = np.stack([np.roll(sym, (3, 5), (0, 1)), sym, rng.normal(size=(8, 8))])[..., None]
    found, shifts = shift_symmetries(x, "d4")
    assert found[:2].all() and found[2].tolist() == [True] + [False] * 7
    for n in range(2):
        for g, s in zip(group_elements("d4"), shifts[n]):
            np.testing.assert_array_equal(np.roll(transform(x[n], g, (0, 1)), s, (0, 1)), x[n])
    # A rectangle: no transpose is a shift; both mirrors of a mirror-symmetric one are.
    rect = np.tile(_d4_symmetric(rng, 4), (1, 2))[None, ..., None]
    assert shift_symmetries(rect, "d4")[0].tolist() == [[True, True, True, True, False, False, False, False]]
    assert shift_symmetries(rect[:0], "d4")[0].shape == (0, 8)


def test_shift_symmetries_tolerance_and_orbit_is_translations(rng):
    sym = _d4_symmetric(rng, 8)[None, ..., None]
    nearly = sym * (1 + 1e-14 * rng.normal(size=sym.shape))
    assert not shift_symmetries(nearly, "c4")[0][0, 1:].any()
    assert shift_symmetries(nearly, "c4", rtol=1e-12)[0].all()
    assert orbit_is_translations(np.concatenate([sym, np.roll(sym, 2, 1)]), "d4")
    broken = sym.copy()
    broken[0, 2, 3, 0] += 1e-3
    assert not orbit_is_translations(broken, "d4") and orbit_is_translations(broken, None)
    with pytest.raises(ValueError, match=r"\(N, H, W, C\)"):
        orbit_is_translations(sym[0], "d4")


def test_bad_groups_name_what_is_accepted():
    with pytest.raises(ValueError, match="unknown symmetry group 'p6m'.*'d4'"):
        group_elements("p6m")
    with pytest.raises(ValueError, match="needs a square input.*'d2' or 'c2'"):
        check_group_fits("c4", 4, 6, "here")
    with pytest.raises(ValueError, match=r"^here: group 'd4' needs a square .*H=4, W=6.*rectangular lattices, or X\.$"):
        check_group_fits("d4", 4, 6, "here", alternatives=", or X")
    check_group_fits("d2", 4, 6, "here")
    check_group_fits("d4", None, 6, "here")


def test_transposes():
    assert [transposes(g) for g in ("trivial", "c2", "d2", "c4", "d4", None)] == [False] * 3 + [True] * 2 + [False]


def test_physics_modules_do_not_import_keras():
    modules = ["keras_imnn.groups", "keras_imnn.lattices", "keras_imnn.physics.photonic.solver",
               "keras_imnn.physics.photonic.cells", "keras_imnn.physics.photonic.kpoints",
               "keras_imnn.physics.magnet.lattices", "keras_imnn.physics.magnet.ed", "keras_imnn.physics.magnet.signs",
               "keras_imnn.physics.magnet.metrics"]
    code = f"import sys\nfor m in {modules!r}: __import__(m)\nprint('keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
