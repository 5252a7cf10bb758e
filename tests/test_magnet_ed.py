"""Exact diagonalization of the J1-J2 model against reference energies and exact sign rules."""
import math
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from quspin_reference import quspin_lowest

from keras_imnn.physics.magnet import ed
from keras_imnn.physics.magnet.lattices import make_lattice
from keras_imnn.physics.magnet.signs import marshall_signs, marshall_violation, sign_characters

# shared/reference/README.md beside the checkout, S = sigma/2 convention.
REFERENCE_4X4 = {0.0: -11.2284832084, 0.5: -8.4579233514, 0.55: -8.3775130822, 1.0: -12.2954902161}


@pytest.mark.parametrize("sector", ["symmetric", "auto"])
@pytest.mark.parametrize("j2", sorted(REFERENCE_4X4))
def test_square_4x4_reference_energies(j2, sector):
    gs = ed.ground_state("square", (4, 4), j2, sector=sector, expand=False, progress=False)
    assert gs.energy == pytest.approx(REFERENCE_4X4[j2], abs=1e-8)
    assert gs.sector == ed.symmetric_sector(gs.lattice)


def _full_sz0_lowest(lattice, j2):
    """Lowest energy of the whole Sz = 0 sector, built by QuSpin without any symmetry."""
    return quspin_lowest(lattice.n_sites, lattice.nn_bonds, lattice.nnn_bonds, j2, lattice.n_sites // 2)[1]


@pytest.mark.parametrize("j2", [0.0, 0.5])
def test_symmetric_sector_holds_the_sz0_ground_state(j2):
    lattice = make_lattice("square", (4, 4))
    gs = ed.ground_state("square", (4, 4), j2, sector="symmetric", expand=False)
    assert gs.energy == pytest.approx(_full_sz0_lowest(lattice, j2), abs=1e-9)


def _quspin_sector_lowest(lattice, sector, j2):
    """(dimension, lowest energy) of a sector built by QuSpin itself: an independent check of the sector matrices
    that ``ed`` builds from shared orbits."""
    perms = {**lattice.generators, "Z": -(np.arange(lattice.n_sites) + 1)}
    cycles = {"Tx": lattice.shape[0], "Ty": lattice.shape[1]}
    blocks = {f"{name}block": (perms[name], 0 if char == 1 else cycles.get(name, 2) // 2)
              for name, char in sector.items()}
    return quspin_lowest(lattice.n_sites, lattice.nn_bonds, lattice.nnn_bonds, j2, (lattice.n_sites + 1) // 2,
                         blocks)


@pytest.mark.parametrize("lattice, shape, j2", [("square", (4, 4), 0.5), ("triangular", (4, 3), 1.3)])
def test_every_sector_matches_quspin(lattice, shape, j2):
    lat = make_lattice(lattice, shape)
    for sector in ed.candidate_sectors(lat):
        dim, energy = _quspin_sector_lowest(lat, sector, j2)
        gs = ed.ground_state(lattice, shape, j2, sector=sector, expand=False)
        assert gs.sector_dim == dim
        assert gs.energy == pytest.approx(energy, abs=1e-9)


# Odd site counts: no Sz = 0 state, the ED works at Sz = +1/2 ((N + 1) / 2 spins up) and has no spin flip Z.
ODD = [("square", (3, 3), 0.5), ("triangular", (3, 5), 0.4)]


@pytest.mark.parametrize("lattice, shape, j2", ODD)
def test_odd_site_counts_diagonalize_at_sz_one_half(lattice, shape, j2):
    lat = make_lattice(lattice, shape)
    n = lat.n_sites
    assert ed.up_spins(n) == (n + 1) // 2 and ed.n_basis_states(n) == math.comb(n, (n + 1) // 2)
    sectors = ed.candidate_sectors(lat)
    assert sectors and all("Z" not in sector for sector in sectors)
    assert "Z" not in ed.symmetric_sector(lat)
    for sector in sectors:  # each sector's matrix against QuSpin's own at Nup = (N + 1) / 2
        dim, energy = _quspin_sector_lowest(lat, sector, j2)
        one = ed.ground_state(lattice, shape, j2, sector=sector, expand=False)
        assert one.sector_dim == dim and one.energy == pytest.approx(energy, abs=1e-9)
    gs = ed.ground_state(lattice, shape, j2, progress=False)
    assert len(gs.states) == math.comb(n, (n + 1) // 2) and np.all(np.diff(gs.states) > 0)
    assert np.all(np.bitwise_count(gs.states) == (n + 1) // 2)
    energy, residual = _energy_and_residual(gs)  # the expansion is an eigenstate of H at Sz = +1/2
    assert energy == pytest.approx(gs.energy, abs=1e-9) and residual < 1e-6
    chars = sign_characters(gs)
    assert "Z" not in chars and {name: chars[name] for name in gs.sector} == gs.sector
    with pytest.raises(ValueError, match=r"bad sector entry Z=1 \(no spin flip Z at Sz = \+1/2"):
        ed.ground_state(lattice, shape, j2, sector={**gs.sector, "Z": 1})


def test_sz_one_half_states_are_sorted_and_ranked_by_their_position():
    states = ed._basis_states(9)
    assert len(states) == 126 and np.all(np.diff(states) > 0) and np.all(np.bitwise_count(states) == 5)
    assert np.array_equal(ed._rank(states, 9), np.arange(126))
    perm = np.roll(np.arange(9), 4)
    assert np.array_equal(ed._rank(states, 9, perm), np.searchsorted(states, ed.permute_states(states, perm)))


# Ground states outside the fully symmetric sector (momentum pi, inversion -1, or both).
NOT_SYMMETRIC = [("triangular", (4, 3), 1.3), ("triangular", (6, 3), 0.8), ("square", (6, 3), 0.6)]


@pytest.mark.parametrize("lattice, shape, j2", NOT_SYMMETRIC)
def test_default_scan_agrees_with_every_sector_one_by_one(lattice, shape, j2):
    gs = ed.ground_state(lattice, shape, j2, progress=False)
    levels = []  # the two lowest levels of every sector, each diagonalized on its own
    for sector in ed.candidate_sectors(gs.lattice):
        one = ed.ground_state(lattice, shape, j2, sector=sector, expand=False)
        levels += [(e, ed.sector_label(sector)) for e in (one.energy, one.energy + one.gap) if np.isfinite(e)]
        assert gs.sector_energies[ed.sector_label(sector)] == pytest.approx(one.energy, abs=1e-9)
    levels.sort()
    assert gs.sector != ed.symmetric_sector(gs.lattice)
    assert ed.sector_label(gs.sector) == levels[0][1]
    assert gs.energy == pytest.approx(levels[0][0], abs=1e-9)
    assert gs.gap == pytest.approx(levels[1][0] - levels[0][0], abs=1e-8)
    energy, residual = _energy_and_residual(gs)
    assert energy == pytest.approx(gs.energy, abs=1e-9) and residual < 1e-6
    chars = sign_characters(gs)
    assert {name: chars[name] for name in gs.sector} == gs.sector


def test_auto_scan_finds_symmetric_sector_with_a_gap():
    gs = ed.ground_state("square", (4, 4), 0.5, progress=False)
    assert gs.sector == ed.symmetric_sector(gs.lattice)
    assert gs.energy == pytest.approx(REFERENCE_4X4[0.5], abs=1e-8)
    assert len(gs.sector_energies) > 10 and min(gs.sector_energies.values()) == gs.energy
    assert gs.gap > 0.1


def test_marshall_rule_exact_at_j2_zero_and_violated_when_frustrated():
    gs = ed.ground_state("square", (4, 4), 0.0, sector="symmetric")
    assert np.abs(gs.amplitudes).min() > 1e-6  # Perron-Frobenius: every amplitude is non-zero
    marshall = marshall_signs(gs.states, gs.lattice)
    assert np.array_equal(gs.signs, marshall) or np.array_equal(gs.signs, 1 - marshall)
    assert marshall_violation(gs) == 0.0
    assert marshall_violation(ed.ground_state("square", (4, 4), 0.5, sector="symmetric")) > 1e-3


def test_expanded_state_is_normalized_sorted_and_has_a_fixed_sign():
    gs = ed.ground_state("square", (4, 4), 0.5, sector="symmetric")
    assert len(gs.states) == 12870 and np.all(np.diff(gs.states) > 0)
    assert np.sum(gs.amplitudes**2) == pytest.approx(1.0, abs=1e-12)
    top = np.flatnonzero(np.abs(gs.amplitudes) >= np.abs(gs.amplitudes).max() * (1 - 1e-6))[0]
    assert gs.amplitudes[top] > 0


def test_quspin_bit_order_maps_to_site_bits():
    """Our bit i must be QuSpin's <Sz_i> = +1/2 (QuSpin keeps site i in bit N-1-i)."""
    from quspin.basis import spin_basis_general

    n = 6
    basis = spin_basis_general(n, Nup=3, pauli=0)
    ours = ed._reverse_bits(basis.states, n)
    for site in range(n):
        sz, row, col = basis.Op("z", [site], 1.0, np.float64)
        assert np.array_equal(row, col)
        up = ((ours[row] >> np.uint64(site)) & np.uint64(1)).astype(bool)
        assert np.array_equal(sz > 0, up)


def _energy_and_residual(gs):
    """<psi|H|psi> and |H psi - E psi| applied by hand in the project's bit order."""
    states, psi = gs.states, gs.amplitudes
    h_psi = np.zeros_like(psi)
    for coupling, bonds in ((gs.j1, gs.lattice.nn_bonds), (gs.j2, gs.lattice.nnn_bonds)):
        for i, j in bonds:
            si = (states >> np.uint64(i)) & np.uint64(1)
            sj = (states >> np.uint64(j)) & np.uint64(1)
            h_psi += coupling * 0.25 * np.where(si == sj, 1.0, -1.0) * psi
            flip = si != sj
            partner = np.searchsorted(states, states[flip] ^ np.uint64((1 << int(i)) | (1 << int(j))))
            h_psi[flip] += coupling * 0.5 * psi[partner]
    return psi @ h_psi, np.linalg.norm(h_psi - gs.energy * psi)


def test_expanded_state_is_an_eigenstate_in_project_site_order():
    # 4x3 triangular: transposing or mirroring the site order is not a symmetry here, so a
    # wrong conversion from QuSpin's order would break the eigen-equation.
    gs = ed.ground_state("triangular", (4, 3), 0.7, progress=False)
    energy, residual = _energy_and_residual(gs)
    assert energy == pytest.approx(gs.energy, abs=1e-9)
    assert residual < 1e-6


@pytest.mark.parametrize("j2", [0.7, 1.3])  # at 1.3 the ground state has kx = pi and inversion -1
def test_triangular_energy_with_bonds_written_by_hand(j2):
    # J1 along x and y, J2 on the (+1, +1) diagonal, sites i = x·Ly + y (keras_imnn.lattices): built here, not by
    # make_lattice, and diagonalized by QuSpin without symmetries.
    lx, ly = 4, 3
    cells = [(x, y) for x in range(lx) for y in range(ly)]
    site = lambda x, y: (x % lx) * ly + y % ly  # noqa: E731
    nn = [(site(x, y), site(x + dx, y + dy)) for x, y in cells for dx, dy in ((1, 0), (0, 1))]
    hand = SimpleNamespace(n_sites=lx * ly, nn_bonds=nn, nnn_bonds=[(site(x, y), site(x + 1, y + 1)) for x, y in cells])
    gs = ed.ground_state("triangular", (lx, ly), j2, progress=False)
    assert gs.energy == pytest.approx(_full_sz0_lowest(hand, j2), abs=1e-9)


def test_sz0_states_are_sorted_and_ranked_by_their_position():
    states = ed._basis_states(12)
    assert len(states) == 924 and np.all(np.diff(states) > 0) and np.all(np.bitwise_count(states) == 6)
    assert np.array_equal(ed._rank(states, 12), np.arange(924))
    perm = np.roll(np.arange(12), 5)
    assert np.array_equal(ed._rank(states, 12, perm, flip=True),
                          np.searchsorted(states, ed.permute_states(states, perm) ^ np.uint64(4095)))


def test_spins_round_trip_and_layout():
    shape = (3, 4)
    state = np.array([1 << (2 * 4 + 1)], dtype=np.uint64)  # site (x=2, y=1)
    spins = ed.states_to_spins(state, shape)
    assert spins.shape == (1, 3, 4, 1) and spins.dtype == np.uint8
    assert spins[0, 2, 1, 0] == 1 and spins.sum() == 1
    rng = np.random.default_rng(1)
    states = rng.integers(0, 1 << 12, size=50).astype(np.uint64)
    assert np.array_equal(ed.spins_to_states(ed.states_to_spins(states, shape)), states)


def test_sign_characters_match_the_sector():
    gs = ed.ground_state("square", (4, 4), 0.0, sector="symmetric")
    assert sign_characters(gs) == {"Tx": 1, "Ty": 1, "Px": 1, "Py": 1, "Pd": 1, "Z": 1}
    sector = {"Tx": -1, "Ty": 1, "Px": 1, "Py": -1, "Z": 1}
    odd = ed.ground_state("square", (4, 4), 0.0, sector=sector)
    chars = sign_characters(odd)
    assert {k: chars[k] for k in sector} == sector
    assert chars["Pd"] is None  # Pd maps kx=pi to ky=pi: not a symmetry of this state


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(lattice="hexagonal", shape=(4, 4), j2=0.0), "unknown lattice"),
        (dict(lattice="square", shape=(3, 3), j2=0.0, sector={"Tx": 1, "Z": 1}), r"no spin flip Z at Sz = \+1/2"),
        (dict(lattice="square", shape=(4, 4), j2=float("nan")), "finite"),
        (dict(lattice="square", shape=(4, 4), j2=float("inf")), "finite"),
        (dict(lattice="square", shape=(4.7, 4), j2=0.0), r"two integers.*\(4\.7, 4\)"),
        (dict(lattice="square", shape=(4, 4), j2=0.0, j1=0.0), "Hamiltonian is zero"),
        (dict(lattice="honeycomb", shape=(4, 4), j2=0.0), "accepted: square, triangular"),
        (dict(lattice="square", shape=(4, 4), j2=0.0, sector="best"), "sector"),
        (dict(lattice="square", shape=(4, 4), j2=0.0, sector={"Qx": 1}), "bad sector entry"),
        (dict(lattice="square", shape=(3, 4), j2=0.0, sector={"Tx": -1, "Z": 1}), "not a character"),
        (dict(lattice="square", shape=(4, 4), j2=0.0, sector={"Px": 1, "Py": -1, "Pd": 1}), "not a character"),
        (dict(lattice="square", shape=(4, 4), j2=0.0, sector={"Tx": -1, "Ty": 1, "Pd": 1}), "not a character"),
    ],
)
def test_bad_input_is_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ed.ground_state(**kwargs)


def test_auto_warns_when_every_real_sector_misses_the_ground_state():
    # 3x3 at J2 = 0.5: the lowest level lies at momentum 2pi/3 (complex), which no real-character sector holds.
    lowest = _full_sz0_lowest(make_lattice("square", (3, 3)), 0.5)  # Sz = -1/2, the same levels as +1/2
    with pytest.warns(ed.MissedGroundStateWarning, match=f"E0 = {lowest:.10g} lies below") as record:
        gs = ed.ground_state("square", (3, 3), 0.5, progress=False)
    assert len(record) == 1 and gs.energy > lowest + 1  # the returned state is the lowest real-sector one
    with warnings.catch_warnings():
        warnings.simplefilter("error", ed.MissedGroundStateWarning)
        ed.ground_state("square", (4, 4), 0.5, progress=False, expand=False)  # found: no warning
        ed.ground_state("square", (3, 3), 0.5, sector="symmetric", progress=False, expand=False)  # not checked
