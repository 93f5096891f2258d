#!/usr/bin/env python3
"""The Python baseline of bench/drift.bench.ts: what a pandas/numpy/scipy user runs for the same two CSV files.

Reads both files with pandas, then for every column computes scipy.stats.ks_2samp and Evidently's PSI (numpy
Sturges bins over both samples, empty cells filled as Evidently does). Prints {"ms": wall time, "maxRssMb": peak
resident memory} as one JSON line.
"""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
from scipy import stats


def psi(ref, cur):
    bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins='sturges')
    rp = np.histogram(ref, bins)[0] / len(ref)
    cp = np.histogram(cur, bins)[0] / len(cur)
    for p in (rp, cp):
        nz = p[p != 0]
        m = nz.min()
        np.place(p, p == 0, m / 10 ** 6 if m <= 0.0001 else 0.0001)
    return float(np.sum((rp - cp) * np.log(rp / cp)))


def main():
    t0 = time.perf_counter()
    ref = pd.read_csv(sys.argv[1])
    cur = pd.read_csv(sys.argv[2])
    out = {}
    for c in ref.columns:
        r = ref[c].dropna().values
        q = cur[c].dropna().values
        ks = stats.ks_2samp(r, q)
        out[c] = (float(ks.pvalue), psi(r, q))
    ms = (time.perf_counter() - t0) * 1000
    print(json.dumps({'ms': ms, 'maxRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'columns': len(out)}))


if __name__ == '__main__':
    main()
