#!/usr/bin/env python3
"""Reference values for the calibrated drift verdict's statistics (issue #15), written to
test/unit/fixtures/drift-calibration-oracles.json. The unit tests read only that file; this script is how it was
made (Debian: python3-numpy python3-scipy):

    /usr/bin/python3 scripts/oracles/make_drift_calibration_oracles.py

- Decile PSI: edges numpy.unique(numpy.quantile(reference, [0.1, …, 0.9])) (numpy's default 'linear' method),
  right-closed bins (numpy.searchsorted(edges, x, side='left'), as pandas.qcut), proportions with Evidently's zero
  fill (make_stats_oracles.ev_binned), PSI = Σ (r − c)·ln(r/c). Also the edges themselves.
- Holm and Benjamini–Hochberg adjusted p-values, by hand (Debian 12's scipy 1.10 lacks false_discovery_control):
  Holm p̃_(k) = max_{j≤k} min(1, (m − j + 1)·p_(j)); BH p̃_(k) = min_{j≥k} min(1, m·p_(j)/j).
- Chi-square homogeneity of two count vectors: scipy.stats.chi2_contingency([ref, cur]) (Yates at dof 1) after
  pooling categories with fewer than 10 values in both samples together.
"""
import json
import os

import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', '..', 'test', 'unit', 'fixtures', 'drift-calibration-oracles.json')


def fill(p):
    p = p.copy()
    if (p == 0).any():
        m = min(p[p != 0])
        np.place(p, p == 0, m / 10 ** 6 if m <= 0.0001 else 0.0001)
    return p


def decile_psi(ref, cur, k=10):
    ref = np.sort(np.asarray(ref, dtype=float))
    cur = np.asarray(cur, dtype=float)
    edges = np.unique(np.quantile(ref, np.arange(1, k) / k))
    r = np.bincount(np.searchsorted(edges, ref, side='left'), minlength=len(edges) + 1) / len(ref)
    c = np.bincount(np.searchsorted(edges, cur, side='left'), minlength=len(edges) + 1) / len(cur)
    r, c = fill(r), fill(c)
    return float(np.sum((r - c) * np.log(r / c))), edges.tolist()


def holm(ps):
    ps = np.asarray(ps, dtype=float)
    m = len(ps)
    order = np.argsort(ps, kind='stable')
    out = np.empty(m)
    running = 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, (m - k) * ps[i]))
        out[i] = running
    return out.tolist()


def bh(ps):
    ps = np.asarray(ps, dtype=float)
    m = len(ps)
    order = np.argsort(ps, kind='stable')
    out = np.empty(m)
    running = 1.0
    for k in range(m - 1, -1, -1):
        i = order[k]
        running = min(running, min(1.0, m * ps[i] / (k + 1)))
        out[i] = running
    return out.tolist()


def homogeneity(ref, cur):
    r, c, pr, pc = [], [], 0, 0
    for a, b in zip(ref, cur):
        if a + b >= 10:
            r.append(a)
            c.append(b)
        else:
            pr += a
            pc += b
    if pr + pc >= 10:
        r.append(pr)
        c.append(pc)
    if len(r) < 2:
        return {'statistic': 0.0, 'dof': 0, 'pvalue': 1.0}
    chi2, p, dof, _ = stats.chi2_contingency([r, c])
    return {'statistic': float(chi2), 'dof': int(dof), 'pvalue': float(p)}


def main():
    rs = np.random.RandomState(20261207)
    psi_cases = []

    def add(name, ref, cur):
        value, edges = decile_psi(ref, cur)
        psi_cases.append({'name': name, 'reference': [float(x) for x in ref], 'current': [float(x) for x in cur],
                          'psi': value, 'edges': edges})

    add('normal, 0.3 SD shift', rs.normal(0, 1, 1000), rs.normal(0.3, 1, 800))
    add('same process', rs.normal(5, 2, 600), rs.normal(5, 2, 700))
    add('counts with ties (duplicate deciles)', rs.poisson(2, 500), rs.poisson(2.5, 400))
    add('few values', rs.normal(0, 1, 7), rs.normal(0, 1, 5))
    add('current outside the reference range, empty bins', rs.normal(0, 1, 300), rs.normal(4, 0.1, 50))
    add('log-normal, 5000 each', rs.lognormal(10, 0.5, 5000), rs.lognormal(10.1, 0.5, 5000))
    add('constant reference', np.full(20, 3.0), rs.normal(3, 1, 30))

    p_sets = [
        [0.01, 0.04, 0.03, 0.005],
        [0.2, 0.2, 0.2, 0.001, 0.8, 1.0, 0.049, 0.0],
        list(rs.uniform(0, 0.1, 12)),
        [0.5],
    ]
    adjust = [{'p': ps, 'holm': holm(ps), 'bh': bh(ps)} for ps in p_sets]

    tables = [
        ([40, 30, 20, 10], [35, 30, 25, 10]),
        ([400, 300, 200, 100], [280, 210, 140, 370]),
        ([120, 80], [90, 110]),
        ([50, 3, 2, 1, 44], [40, 4, 5, 2, 49]),
        ([5, 4], [3, 2]),
    ]
    homog = [{'reference': a, 'current': b, **homogeneity(a, b)} for a, b in tables]

    with open(OUT, 'w') as f:
        json.dump({'numpy': np.__version__, 'psi': psi_cases, 'adjust': adjust, 'homogeneity': homog}, f, indent=1)
        f.write('\n')
    print(f'wrote {os.path.relpath(OUT)}')


if __name__ == '__main__':
    main()
