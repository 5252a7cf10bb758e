"""keras_imnn.lattices: one Lattice object from which the tori, the ED and the layers' index maps derive."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from quspin_reference import quspin_lowest

from keras_imnn.lattices import LATTICES, Lattice, get_lattice
from keras_imnn.physics.magnet import ed
from keras_imnn.physics.magnet.lattices import make_lattice, preserving_groups

KAGOME_12_SITES = -5.44487522  # 2x2 cells, J1 = 1, J2 = 0, S = sigma/2 (the project's reference value)


def _kagome_bonds_written_out(shape: tuple[int, int]) -> tuple[list, list]:
    """The kagome J1 bonds as the convention lists them (``keras_imnn/lattices/kagome.py``), and the J2 bonds as
    the site pairs at distance sqrt(3)/2 in the infinite lattice: written here from the geometry, independently
    of ``keras_imnn.lattices``."""
    l1, l2 = shape

    def site(x, y, s):
        return ((x % l1) * l2 + (y % l2)) * 3 + s

    a = np.array([[1.0, 0.0], [0.5, math.sqrt(3) / 2]])
    delta = np.array([[0, 0], [0.5, 0], [0, 0.5]])
    nn, nnn = [], []
    for x, y in itertools.product(range(l1), range(l2)):
        nn += [(site(x, y, 0), site(x, y, 1)), (site(x, y, 0), site(x, y, 2)), (site(x, y, 1), site(x, y, 2)),
               (site(x, y, 1), site(x + 1, y, 0)), (site(x, y, 2), site(x, y + 1, 0)),
               (site(x, y, 2), site(x - 1, y + 1, 1))]
        for s, t, d1, d2 in itertools.product(range(3), range(3), (-1, 0, 1), (-1, 0, 1)):
            r = (np.array([d1, d2]) + delta[t] - delta[s]) @ a
            # each pair once: from the site of lower sublattice (or the same sublattice, never at this distance)
            if s < t and abs(np.linalg.norm(r) - math.sqrt(3) / 2) < 1e-9:
                nnn.append((site(x, y, s), site(x + d1, y + d2, t)))
    return nn, nnn


def _dense_heisenberg(n: int, bonds: list[tuple[list, float]], n_up: int) -> np.ndarray:
    """Dense H = sum_bonds J S_i . S_j (S = sigma/2) on the states with ``n_up`` up spins, from bit operations."""
    states = [s for s in range(1 << n) if bin(s).count("1") == n_up]
    index = {s: k for k, s in enumerate(states)}
    h = np.zeros((len(states), len(states)))
    for k, s in enumerate(states):
        for pairs, coupling in bonds:
            for i, j in pairs:
                same = ((s >> i) & 1) == ((s >> j) & 1)
                h[k, k] += 0.25 * coupling * (1 if same else -1)
                if not same:
                    h[index[s ^ (1 << i) ^ (1 << j)], k] += 0.5 * coupling
    return h


def _as_set(bonds) -> set[frozenset[int]]:
    return {frozenset(map(int, b)) for b in bonds}


def test_square_and_triangular_tori_are_the_ones_of_before():
    """The bonds and generators of the one-site lattices, as the former hand-written lattices made them (site i =
    x * Ly + y; J2 on both diagonals, or the (+1, +1) one only): datasets and checkpoints keep their meaning."""
    for name, shape in itertools.product(("square", "triangular"), ((4, 4), (6, 4), (3, 4))):
        lat = make_lattice(name, shape)
        lx, ly = shape
        x, y = np.divmod(np.arange(lx * ly), ly)

        def site(xx, yy, lx=lx, ly=ly):
            return (xx % lx) * ly + yy % ly

        here = site(x, y)
        np.testing.assert_array_equal(lat.nn_bonds, np.concatenate([np.stack([here, site(x + 1, y)], 1),
                                                                    np.stack([here, site(x, y + 1)], 1)]))
        diagonals = [site(x + 1, y + 1)] + ([site(x + 1, y - 1)] if name == "square" else [])
        np.testing.assert_array_equal(lat.nnn_bonds, np.concatenate([np.stack([here, d], 1) for d in diagonals]))
        assert list(lat.translations) == ["Tx", "Ty"]
        np.testing.assert_array_equal(lat.translations["Tx"], site(x + 1, y))
        expected = {("square", True): {"Px": site(-x, y), "Py": site(x, -y), "Pd": y * lx + x},
                    ("square", False): {"Px": site(-x, y), "Py": site(x, -y)},
                    ("triangular", True): {"Pd": y * lx + x, "Pa": site(-y, -x)},
                    ("triangular", False): {"I": site(-x, -y)}}[name, lx == ly]
        assert list(lat.point_group) == list(expected)
        for g, perm in expected.items():
            np.testing.assert_array_equal(lat.point_group[g], perm)
        np.testing.assert_array_equal(lat.sublattice, (x + y) % 2)
        assert lat.feature_shape == (lx, ly, 1)


@pytest.mark.parametrize("shape", [(2, 2), (2, 3), (3, 3), (4, 4)])
def test_kagome_torus_has_the_bonds_of_the_design(shape):
    lat = get_lattice("kagome").torus(shape)
    nn, nnn = _kagome_bonds_written_out(shape)
    assert lat.n_sites == 3 * shape[0] * shape[1] and lat.feature_shape == (*shape, 3)
    assert len(lat.nn_bonds) == 6 * shape[0] * shape[1] == len(lat.nnn_bonds)
    assert _as_set(lat.nn_bonds) == _as_set(nn) and len(_as_set(nn)) == len(nn)
    assert _as_set(lat.nnn_bonds) == _as_set(nnn) and len(_as_set(nnn)) == len(nnn)
    assert np.all(np.bincount(lat.nn_bonds.ravel()) == 4)  # coordination 4
    with pytest.raises(ValueError, match="no Marshall sublattice"):
        lat.sublattice  # noqa: B018


@pytest.mark.parametrize(("name", "shape", "order"), [
    ("kagome", (2, 2), 12), ("kagome", (3, 3), 12), ("kagome", (2, 3), 2), ("square", (4, 4), 8),
    ("square", (6, 4), 4), ("triangular", (4, 4), 4), ("triangular", (6, 4), 2)])
def test_every_symmetry_maps_bonds_onto_bonds(name, shape, order):
    """The point group the generators make (C6v on L x L kagome tori), times every translation: distinct
    permutations, closed under composition, each mapping the J1 and the J2 bonds onto themselves."""
    lat = get_lattice(name).torus(shape)
    assert len(lat.point_elements) == order
    symmetries = lat.symmetries
    assert symmetries.shape == (order * shape[0] * shape[1], lat.n_sites)
    assert len({p.tobytes() for p in symmetries}) == len(symmetries)
    np.testing.assert_array_equal(symmetries[0], np.arange(lat.n_sites))
    known = {p.tobytes() for p in symmetries}
    assert all(symmetries[a][symmetries[b]].tobytes() in known for a, b in [(1, 2), (3, -1), (-2, 5)])
    for perm in symmetries:
        for bonds in (lat.nn_bonds, lat.nnn_bonds):
            assert _as_set(perm[bonds]) == _as_set(bonds)


def test_image_groups_keep_no_kagome_bond_set():
    """D4, C2, ... move cells and keep sublattices: none is a kagome symmetry, whose point group permutes them."""
    assert preserving_groups("kagome", (4, 4)) == preserving_groups("kagome", (4, 6)) == ["trivial"]


def test_kagome_12_sites_matches_the_reference_and_a_dense_diagonalization():
    nn, nnn = _kagome_bonds_written_out((2, 2))
    for j2 in (0.0, 0.3):
        dense = np.linalg.eigvalsh(_dense_heisenberg(12, [(nn, 1.0), (nnn, j2)], 6))[0]
        gs = ed.ground_state("kagome", (2, 2), j2, progress=False)
        assert gs.energy == pytest.approx(dense, abs=1e-9)
        if j2 == 0:
            assert gs.energy == pytest.approx(KAGOME_12_SITES, abs=1e-8)
    # the expanded amplitudes are an eigenvector of the dense H in the same state order
    h = _dense_heisenberg(12, [(nn, 1.0), (nnn, 0.3)], 6)
    np.testing.assert_allclose(h @ gs.amplitudes, gs.energy * gs.amplitudes, atol=1e-8)
    assert gs.spins().shape == (924, 2, 2, 3)
    np.testing.assert_array_equal(ed.spins_to_states(gs.spins()), gs.states)


def test_kagome_18_sites_matches_quspin_on_the_design_bonds():
    """2x3 cells (18 sites, C2 x translations): the project's sectors against QuSpin's plain Sz = 0 basis, with
    the bonds written out independently here."""
    pytest.importorskip("quspin")
    j2 = 0.2
    _, expected = quspin_lowest(18, *_kagome_bonds_written_out((2, 3)), j2, 9)
    assert ed.ground_state("kagome", (2, 3), j2, expand=False, progress=False).energy == pytest.approx(expected,
                                                                                                      abs=1e-8)


def test_a_new_lattice_is_one_object_and_one_registry_entry(monkeypatch):
    """A toy honeycomb lattice (two sites per cell, inversion about a bond centre) added to the registry only:
    the torus, the ED and the Marshall rule follow without touching any other module."""
    honeycomb = Lattice(
        name="toy_honeycomb",
        basis=np.array([[1.0, 0.0], [0.5, math.sqrt(3) / 2]]),
        positions=np.array([[0.0, 0.0], [1 / 3, 1 / 3]]),
        bonds=(((0, 1, (0, 0)), (0, 1, (-1, 0)), (0, 1, (0, -1))),),
        point_ops={"I": np.array([[-1, 0], [0, -1]])},
        generator_sets=(("I",),),
        centre=np.array([1 / 6, 1 / 6]),
        marshall=((0, 0), (0, 1)),
        min_cells=2,
    )
    monkeypatch.setitem(LATTICES, honeycomb.name, honeycomb)
    lat = make_lattice("toy_honeycomb", (2, 3))
    np.testing.assert_array_equal(lat.point_group["I"][:2], [lat.site(0, 0, 1), lat.site(0, 0, 0)])
    gs = ed.ground_state("toy_honeycomb", (2, 3), 0.0, progress=False)
    dense = np.linalg.eigvalsh(_dense_heisenberg(12, [(lat.nn_bonds.tolist(), 1.0)], 6))[0]
    assert gs.energy == pytest.approx(dense, abs=1e-9)
    from keras_imnn.physics.magnet.signs import marshall_violation

    assert marshall_violation(gs) < 1e-12  # bipartite: the Marshall rule holds exactly


def test_bad_lattices_and_shapes_say_what_is_accepted():
    with pytest.raises(ValueError, match="unknown lattice 'hexagonal'; accepted: square, triangular, kagome"):
        make_lattice("hexagonal", (4, 4))
    with pytest.raises(ValueError, match=r"kagome lattice shape must be two integers .* >= 2, got \(1, 4\)"):
        make_lattice("kagome", (1, 4))
    with pytest.raises(ValueError, match="not one site of the lattice"):
        Lattice("bad", np.eye(2), np.array([[0.0, 0.0], [0.5, 0.0]]), ((),), {"Pd": np.array([[0, 1], [1, 0]])},
                (("Pd",),)).point_op("Pd")
