import time, numpy as np
from keras_imnn.physics.photonic.solver import band_structure, k_grid, gamma_x_m_path
d = np.load("tests/data/photonic_mpb.npz"); cells = d["cells"]
sym, asym = cells[:2], cells[2:]
band_structure(sym, gamma_x_m_path(), 8, "tm")  # warm-up
for nj in (1, 2):
    for n_max in (6, 5, 4):
        for name, sub in (("sym", np.concatenate([sym] * 4)), ("asym", np.concatenate([asym] * 2))):
            t = time.perf_counter()
            for pol in ("tm", "te"):
                band_structure(sub, k_grid(16), 10, pol, n_max=n_max, n_jobs=nj)
            dt = (time.perf_counter() - t) / len(sub)
            print(f"n_jobs={nj} n_max={n_max} {name}: {dt:.3f} s/cell -> 20000 cells {20000*dt/3600:.2f} h", flush=True)
    for pol in ("tm", "te"):
        t = time.perf_counter(); band_structure(np.concatenate([cells]*2), gamma_x_m_path(), 8, pol, n_jobs=nj)
        print(f"n_jobs={nj} path 8 bands {pol}: {(time.perf_counter()-t)/12:.3f} s/cell", flush=True)
