"""6x4 J1-J2 ground state + expansion to all 2 704 156 Sz=0 states; 6x6 sector-size estimate.

    PYTHONPATH=. python benchmarks/bench_magnet_ed.py   (prints wall time and peak RSS)
"""
import math
import resource
import time

from keras_imnn.physics.magnet.ed import ground_state

start = time.perf_counter()
gs = ground_state("square", (6, 4), 0.5, sector="symmetric")
wall = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print(f"6x4 J2=0.5: E0 = {gs.energy:.10f} (E0/N = {gs.energy / 24:.8f}), sector dim {gs.sector_dim}, "
      f"{len(gs.states)} states, {wall:.1f} s, peak RSS {rss:.2f} GB")
full = math.comb(36, 18)
group = 36 * 8 * 2  # translations x C4v x spin flip
print(f"6x6: C(36,18) = {full:.3e} states ({full * 16 / 2**30:.0f} GB for states + amplitudes); "
      f"symmetric sector ~ {full / group:.2e} states; Hamiltonian ~ {full / group * 37 * 12 / 2**30:.0f} GB CSR")
