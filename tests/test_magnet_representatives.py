"""Symmetric-sector ED held as orbit representatives (the 36-spin path) against the expanded ``ed`` ground
state, and sampling through representatives against the expanded |psi|^2 and signs."""
import math
import warnings

import numpy as np
import pytest
from scipy.stats import chisquare

pytest.importorskip("quspin")

from keras_imnn.physics.magnet import ed, representatives  # noqa: E402
from keras_imnn.physics.magnet.lattices import make_lattice  # noqa: E402
from keras_imnn.physics.magnet.sampling import sample_states, uniform_sz0_states  # noqa: E402
from keras_imnn.physics.magnet.signs import marshall_signs  # noqa: E402
from keras_imnn.physics.memory import MemoryLimitError  # noqa: E402

# (shape, J2) of the square lattice: 4x4 at the unfrustrated point and at J2 = 0.5; 6x3 has N/2 odd, so the
# flip's character is -1.
CASES = [((4, 4), 0.0), ((4, 4), 0.5), ((6, 3), 0.5)]


@pytest.fixture(scope="module")
def solved():
    out = {}
    for shape, j2 in CASES:
        out[shape, j2] = (representatives.symmetric_ground_state("square", shape, j2, progress=False),
                          ed.ground_state("square", shape, j2, sector="symmetric", progress=False))
    return out


@pytest.mark.parametrize("shape, j2", CASES)
def test_energy_and_every_amplitude_match_the_expanded_ground_state(solved, shape, j2):
    _check_against_ed(*solved[shape, j2])


def test_triangular_lattice_matches_ed():
    """Its point group on a square shape (the two diagonal mirrors) is not a product of x and y mirrors."""
    _check_against_ed(representatives.symmetric_ground_state("triangular", (4, 4), 1.3, progress=False),
                      ed.ground_state("triangular", (4, 4), 1.3, sector="symmetric", progress=False))


@pytest.mark.parametrize("shape, j2", [((2, 3), 0.5), ((2, 4), 0.0), ((4, 2), 0.3)])
def test_kagome_three_sites_a_cell_matches_ed(shape, j2):
    """Translations rotate the bit fields by whole cells of three sites; the point group moves sublattices."""
    _check_against_ed(representatives.symmetric_ground_state("kagome", shape, j2, progress=False),
                      ed.ground_state("kagome", shape, j2, sector="symmetric", progress=False))


def test_kagome_36_sites_is_refused_before_any_work():
    """The 3x4 kagome torus keeps only the inversion: 1.9e8 orbits, ~128 GB by ``memory_bytes``."""
    with pytest.raises(MemoryLimitError, match=r"kagome 3x4 \(189090447 orbits\) needs about 128 GB"):
        representatives.build_sector("kagome", (3, 4), progress=False, max_memory_gb=8)


def _check_against_ed(gs, ref):
    assert gs.energy == pytest.approx(ref.energy, abs=1e-9)
    assert gs.sector == ref.sector and gs.sector_dim == ref.sector_dim
    assert gs.residual < 1e-8
    assert gs.orbit_probabilities.sum() == pytest.approx(1.0)
    # Every Sz = 0 state's amplitude through its orbit: normalization, characters and global sign.
    np.testing.assert_allclose(gs.amplitudes_of(ref.states), ref.amplitudes, atol=1e-9)
    assert np.array_equal(gs.signs_of(ref.states[np.abs(ref.amplitudes) > 1e-9]),
                          ref.signs[np.abs(ref.amplitudes) > 1e-9])
    assert gs.orbit_sizes.sum() <= math.comb(gs.lattice.n_sites, gs.lattice.n_sites // 2)
    assert np.array_equal(ed.spins_to_states(gs.spins()), gs.representatives)


def test_sector_vector_is_quspins_normalized_symmetric_state(solved):
    """The same vector in QuSpin's own basis: its Hamiltonian and its expansion (``project_from``) agree."""
    from quspin.basis import spin_basis_general
    from quspin.operators import hamiltonian

    gs, _ = solved[(4, 4), 0.5]
    lattice, n = gs.lattice, gs.lattice.n_sites
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        basis = spin_basis_general(n, Nup=n // 2, pauli=0, **ed._quspin_blocks(lattice, (*lattice.generators, "Z")))
        couplings = ([[1.0, int(i), int(j)] for i, j in lattice.nn_bonds]
                     + [[0.5, int(i), int(j)] for i, j in lattice.nnn_bonds])
        half = [[0.5 * c, i, j] for c, i, j in couplings]
        h = hamiltonian([["+-", half], ["-+", half], ["zz", couplings]], [], basis=basis, dtype=np.float64,
                        check_symm=False, check_herm=False, check_pcon=False).tocsr()
        # QuSpin's representative of each orbit -> ours (QuSpin stores site i at bit N - 1 - i).
        mine = np.searchsorted(gs.representatives, _canonical(gs, ed._reverse_bits(basis.states.astype(np.uint64), n)))
        v = gs.amplitudes[mine]
        assert (h @ v) == pytest.approx(gs.energy * v, abs=1e-9)
        full = spin_basis_general(n, Nup=n // 2, pauli=0)
        expanded = basis.project_from(v, sparse=False, pcon=True).ravel()
    np.testing.assert_allclose(expanded, gs.amplitudes_of(ed._reverse_bits(full.states.astype(np.uint64), n)),
                               atol=1e-12)


def _canonical(gs, states):
    """The largest state of each orbit, by brute force over the site permutations and the flip."""
    lattice = gs.lattice
    perms = [perm for perm, _ in ed._group(lattice.name, lattice.shape, tuple(lattice.generators))[0]]
    images = np.stack([ed.permute_states(states, perm) for perm in perms])
    return np.maximum(images, images ^ np.uint64((1 << lattice.n_sites) - 1)).max(axis=0)


@pytest.mark.parametrize("shape, j2", CASES)
def test_sampled_states_follow_the_expanded_weights_and_signs(solved, shape, j2):
    gs, ref = solved[shape, j2]
    n_draws = 200_000
    sample = sample_states(gs, n_draws, seed=1)
    index = np.searchsorted(ref.states, sample.states)
    assert np.array_equal(ref.states[index], sample.states)  # all Sz = 0 states of the basis
    assert np.array_equal(sample.signs, ref.signs[index])
    np.testing.assert_allclose(sample.probabilities, ref.weights[index], rtol=1e-9)
    # Frequencies against n |psi|^2: chi-square over the states expected 20+ times, the rest lumped.
    counts = np.bincount(index, minlength=len(ref.states))
    expected = n_draws * ref.weights / ref.weights.sum()
    big = expected >= 20
    observed = np.r_[counts[big], counts[~big].sum()]
    assert chisquare(observed, np.r_[expected[big], expected[~big].sum()]).pvalue > 1e-3
    # A fixed seed gives the same sample.
    assert np.array_equal(sample_states(gs, 1000, seed=4).states, sample_states(gs, 1000, seed=4).states)
    assert not np.array_equal(sample_states(gs, 1000, seed=4).states, sample_states(gs, 1000, seed=5).states)


def test_marshall_rule_holds_on_every_sampled_state_at_j2_0(solved):
    gs, _ = solved[(4, 4), 0.0]
    sample = sample_states(gs, 50_000, seed=2)
    disagree = sample.signs != marshall_signs(sample.states, gs.lattice)
    assert disagree.all() or not disagree.any()


def test_sampling_without_replacement_gives_distinct_states(solved):
    gs, ref = solved[(4, 4), 0.5]
    sample = sample_states(gs, 3000, seed=3, replace=False)
    assert len(np.unique(sample.states)) == 3000
    # The heaviest states come first: the first 50 draws hold far more weight than 50 uniform ones.
    assert sample.probabilities[:50].mean() > 20 * ref.weights.mean()
    with pytest.raises(ValueError, match="distinct"):
        sample_states(gs, len(ref.states) + 1, replace=False)


def test_uniform_sz0_states_are_uniform_distinct_and_avoid_exclude():
    n, size, seeds = 10, 100, 300
    all_states = ed._basis_states(n)
    counts = np.zeros(len(all_states))
    for seed in range(seeds):
        states = uniform_sz0_states(n, size, seed=seed)
        assert len(np.unique(states)) == size
        counts += np.bincount(np.searchsorted(all_states, states), minlength=len(all_states))
    assert counts.sum() == size * seeds
    assert chisquare(counts).pvalue > 1e-3
    exclude = all_states[::2]
    states = uniform_sz0_states(n, len(all_states) - len(exclude), seed=0, exclude=exclude)
    assert np.array_equal(np.sort(states), all_states[1::2])
    big = uniform_sz0_states(36, 20_000, seed=0)
    assert len(np.unique(big)) == 20_000 and (np.bitwise_count(big) == 18).all()
    assert np.array_equal(uniform_sz0_states(36, 20_000, seed=0), big)


def test_group_elements_on_36_spins_match_site_permutations():
    """The 6x6 kernels (5 byte tables, bit-field translations) against ``ed``'s site permutations."""
    lattice = make_lattice("square", (6, 6))
    geometry = representatives._geometry("square", (6, 6))
    assert geometry.n_elements == 576
    rng = np.random.default_rng(0)
    states = uniform_sz0_states(36, 4, seed=5)
    gs = representatives.SymmetricGroundState(lattice, 1.0, 0.5, 0.0, ed.symmetric_sector(lattice), states,
                                              np.ones(4) / 2, np.ones(4, np.int64))
    elements = rng.integers(576, size=64)
    orbits = rng.integers(4, size=64)
    point, rest = elements % geometry.n_point, elements // geometry.n_point
    ty, rest = rest % 6, rest // 6
    tx, flip = rest % 6, rest // 6
    expected = []
    for o, p, a, b, f in zip(orbits, point, tx, ty, flip):
        perm = geometry.point_perms[p]
        for _ in range(b):
            perm = lattice.translations["Ty"][perm]
        for _ in range(a):
            perm = lattice.translations["Tx"][perm]
        image = ed.permute_states(states[o:o + 1], perm)[0]
        expected.append(image ^ np.uint64((1 << 36) - 1) if f else image)
    assert np.array_equal(gs.group_images(orbits, elements), np.array(expected, np.uint64))
    # The representative of any member is the largest image over the whole group.
    reps = np.empty_like(states)
    flips, plain, flipped = np.empty(4, np.bool_), np.empty(4, np.int64), np.empty(4, np.int64)
    representatives._kernels().canonicalize(gs.group_images(np.arange(4), elements[:4]), *geometry.args(),
                                            reps, flips, plain, flipped)
    assert np.array_equal(reps, _canonical(gs, states))
    assert ((plain + flipped) * (576 // (plain + flipped)) == 576).all()


@pytest.mark.parametrize("name, shape", [("square", (4, 4)), ("square", (6, 3)), ("triangular", (4, 4)),
                                         ("kagome", (2, 2)), ("kagome", (2, 3))])
def test_listed_representatives_are_the_largest_state_of_every_orbit(name, shape):
    """The numba listing against brute force: the distinct largest images of all Sz = 0 states."""
    lattice = make_lattice(name, shape)
    states = ed._basis_states(lattice.n_sites)
    geometry = representatives._geometry(name, shape)
    reps = np.empty_like(states)
    scratch = np.empty(len(states), np.bool_), np.empty(len(states), np.int64), np.empty(len(states), np.int64)
    representatives._kernels().canonicalize(states, *geometry.args(), reps, *scratch)
    listed = representatives._list_representatives(lattice, progress=False, n_threads=2)
    assert np.array_equal(listed, np.unique(reps))
    assert len(listed) == representatives.n_orbits(lattice)


@pytest.mark.parametrize("spoil", ["unsorted", "not_largest", "missing"])
def test_a_wrong_listing_is_refused_before_the_sector_is_built(monkeypatch, spoil):
    listing = representatives._list_representatives
    lattice = make_lattice("square", (4, 4))
    good = listing(lattice, False, 1)
    bad = {"unsorted": good[::-1].copy(), "missing": good[1:].copy(),
           "not_largest": np.concatenate([good[:-1], [good[-1] ^ np.uint64((1 << 16) - 1)]])}[spoil]
    monkeypatch.setattr(representatives, "_list_representatives", lambda *_: bad)
    with pytest.raises(RuntimeError, match="representatives listed are not the 107 orbits"):
        representatives.build_sector("square", (4, 4), progress=False)


def test_listing_on_36_spins_keeps_exactly_the_canonical_states():
    """A stretch of 6x6 ranks (the 36-bit words and the chunked count-then-fill) against canonicalize."""
    kernels = representatives._kernels()
    geometry = representatives._geometry("square", (6, 6))
    binom = ed._binomials(36)
    total = math.comb(35, 17)
    starts = np.array([total - 40_000, total - 25_000, total - 10_000, total], np.int64)  # the dense top end
    counts = np.empty(3, np.int64)
    kernels.count_representatives(starts, binom, *geometry.args(), counts)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    listed = np.empty(int(offsets[-1]), np.uint64)
    kernels.fill_representatives(starts, offsets, binom, *geometry.args(), listed)
    # The same 40 000 states, from the largest Sz = 0 word down, by plain bit arithmetic.
    words = np.array(sorted(_top_words(36, 40_000)), np.uint64)
    reps = np.empty_like(words)
    scratch = np.empty(len(words), np.bool_), np.empty(len(words), np.int64), np.empty(len(words), np.int64)
    kernels.canonicalize(words, *geometry.args(), reps, *scratch)
    assert 0 < len(listed) < 40_000
    assert np.array_equal(listed, words[reps == words])


def _top_words(n: int, count: int):
    """The ``count`` largest n-bit words with n/2 bits set, all with the top bit set."""
    from itertools import combinations

    out = []
    for low in combinations(range(n - 2, -1, -1), n // 2 - 1):  # lexicographic from the high bits: decreasing
        out.append(sum(1 << b for b in low) | (1 << (n - 1)))
        if len(out) == count:
            return out
    return out


def test_memory_estimate_and_guard():
    lattice = make_lattice("square", (6, 6))
    assert representatives.n_orbits(lattice) == pytest.approx(math.comb(36, 18) / 576, rel=0.01)
    assert 5e9 < representatives.memory_bytes(lattice) < 15e9
    with pytest.raises(MemoryLimitError, match="symmetric-sector ED"):
        representatives.build_sector("square", (6, 6), progress=False, max_memory_gb=1)


def test_save_and_load_round_trip(solved, tmp_path):
    gs, _ = solved[(6, 3), 0.5]
    gs.save(tmp_path / "gs.npz")
    back = representatives.load_ground_state(tmp_path / "gs.npz")
    assert back.energy == gs.energy and back.sector == gs.sector and back.lattice.shape == (6, 3)
    assert np.array_equal(back.amplitudes, gs.amplitudes) and np.array_equal(back.orbit_sizes, gs.orbit_sizes)
    sector = representatives.build_sector("square", (4, 4), progress=False)
    sector.save(tmp_path / "sector")
    again = representatives.load_sector(tmp_path / "sector").lowest(0.5, progress=False)
    assert again.energy == pytest.approx(solved[(4, 4), 0.5][0].energy, abs=1e-10)
