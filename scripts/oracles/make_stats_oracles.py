#!/usr/bin/env python3
"""Reference values for ML Sight's statistics core (src/core/stats), computed with scipy and numpy.

Writes test/unit/fixtures/stats-oracles.json. The unit tests read only that file; this script is how it was made
and how to remake it:

    python3 scripts/oracles/make_stats_oracles.py    # needs numpy, scipy, mpmath (Debian: python3-scipy python3-mpmath)

Data sets are described by small generator specs that the TypeScript tests reproduce bit for bit (a MINSTD
linear congruential generator and only +, -, *, /, floor), or inlined as arrays when they come from
transcendental functions (sin, cos), whose last bits differ between libms.

Evidently's and NannyML's drift statistics are re-implemented here with numpy/scipy exactly as in their sources
(evidently src/evidently/legacy/calculations/stattests/{utils,psi,jensenshannon,wasserstein_distance_norm,
chisquare_stattest,z_stattest}.py; nannyml nannyml/drift/univariate/methods.py), since neither package (nor
pandas) is available here. GrowthBook's formulas (gbstats frequentist/tests.py, power docs) likewise.
"""
import json
import math
import os
import sys

import mpmath
import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial.distance import jensenshannon

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'unit', 'fixtures', 'stats-oracles.json')


def enc(v):
    """JSON-safe float: non-finite values become strings."""
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    if isinstance(v, dict):
        return {k: enc(x) for k, x in v.items()}
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if math.isnan(v):
            return 'NaN'
        if math.isinf(v):
            return 'Infinity' if v > 0 else '-Infinity'
        return v
    return v


# ----------------------------------------------------------------------------------------------------------------
# Deterministic data, reproduced by test/unit/stats-helpers.ts

def minstd(seed, n):
    x = seed
    out = []
    for _ in range(n):
        x = (48271 * x) % 2147483647
        out.append(x / 2147483647)
    return out


def gen(spec):
    """spec: {seed, n, dist: uniform|irwin|int, scale?, shift?, k?, quant?, labels?}"""
    n, dist = spec['n'], spec['dist']
    scale, shift = spec.get('scale', 1.0), spec.get('shift', 0.0)
    if dist == 'irwin':
        u = minstd(spec['seed'], 12 * n)
        vals = []
        for i in range(n):
            s = 0.0
            for j in range(12):
                s += u[12 * i + j]
            vals.append(shift + scale * (s - 6.0))
    elif dist == 'uniform':
        vals = [shift + scale * u for u in minstd(spec['seed'], n)]
    elif dist == 'int':
        vals = [float(math.floor(u * spec['k'])) + shift for u in minstd(spec['seed'], n)]
    else:
        raise ValueError(dist)
    if 'quant' in spec:
        q = spec['quant']
        vals = [math.floor(v * q) / q for v in vals]
    if spec.get('labels'):
        return ['c%d' % int(v) for v in vals]
    return vals


def sample(spec_or_values):
    if isinstance(spec_or_values, dict):
        return gen(spec_or_values)
    return list(spec_or_values)


# ----------------------------------------------------------------------------------------------------------------
# Special functions and distributions

def special_values():
    out = {}
    xs = [-38.0, -37.5, -30.0, -20.0, -10.0, -8.5, -5.0, -3.0, -1.96, -1.0, -0.5, -1e-5, 0.0, 1e-8, 0.3, 0.5, 1.0, 1.5,
          2.0, 3.0, 5.0, 8.0, 8.3, 9.0, 12.0]
    out['ndtr'] = [[x, special.ndtr(x)] for x in xs]
    out['norm_sf'] = [[x, stats.norm.sf(x)] for x in xs]
    ps = [1e-300, 1e-200, 1e-50, 1e-20, 1e-10, 1e-5, 0.001, 0.01, 0.025, 0.05, 0.1, 0.25, 0.4, 0.49, 0.5, 0.51, 0.6, 0.8,
          0.9, 0.95, 0.975, 0.99, 0.999, 0.999999, 1 - 1e-12]
    out['ndtri'] = [[p, special.ndtri(p)] for p in ps]
    out['norm_isf'] = [[p, stats.norm.isf(p)] for p in ps]
    ex = [-3.0, -1.0, -0.2, 0.0, 1e-10, 0.1, 0.5, 0.9, 1.0, 1.4, 1.5, 1.6, 2.0, 3.0, 5.0, 10.0, 20.0, 26.0]
    out['erf'] = [[x, special.erf(x)] for x in ex]
    out['erfc'] = [[x, special.erfc(x)] for x in ex]
    gx = [1e-300, 1e-10, 0.001, 0.1, 0.5, 0.99, 1.0, 1.01, 1.5, 1.99, 2.0, 2.5, 3.0, 7.3, 9.99, 10.0, 10.5, 30.0, 171.3,
          1000.5, 1e5, 3.3e7, 1e15]
    out['gammaln'] = [[x, special.gammaln(x)] for x in gx]
    bl = [(0.5, 0.5), (1, 1), (2.5, 7.25), (0.5, 12.0), (12.0, 0.5), (0.5, 1e4), (3.0, 1e6), (50.0, 60.0), (1e3, 1e3),
          (1e5, 0.5), (2e7, 3.5), (1e-3, 5.0)]
    # scipy's betaln loses up to ~1e-9 absolute for lopsided arguments (e.g. (3, 1e6)); reference from mpmath.
    mpmath.mp.dps = 40
    out['betaln'] = [[a, b, float(mpmath.log(mpmath.beta(a, b))), special.betaln(a, b)] for a, b in bl]
    gi = []
    for a in [0.1, 0.5, 1.0, 2.5, 9.5, 10.0, 50.0, 450.0, 1e4, 1e6]:
        for f in [0.01, 0.3, 0.9, 1.0, 1.1, 2.0, 5.0]:
            x = a * f
            gi.append([a, x, special.gammainc(a, x), special.gammaincc(a, x)])
    gi += [[0.5, 40.0, special.gammainc(0.5, 40.0), special.gammaincc(0.5, 40.0)],
           [3.0, 200.0, special.gammainc(3.0, 200.0), special.gammaincc(3.0, 200.0)]]
    out['gammainc'] = gi
    bi = []
    for a, b in [(0.5, 0.5), (1.0, 3.0), (2.5, 7.25), (10.0, 0.5), (0.5, 10.0), (30.0, 40.0), (500.0, 0.5), (5e3, 5e3)]:
        for x in [1e-6, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999999]:
            bi.append([a, b, x, special.betainc(a, b, x), special.betaincc(a, b, x)])
    out['betainc'] = bi
    dfs = [0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 57.479985562, 100.0, 1e3, 1e4, 1e5, 1.99e5, 2.01e5, 1e6, 1e8, 1e12]
    ts = [0.0, 0.01, 0.5, 1.0, 1.96, 2.0896973, 3.0, 5.0, 10.0, 40.0, 1e3, -2.5]
    out['t_sf'] = [[t, df, stats.t.sf(t, df)] for df in dfs for t in ts]
    out['t_cdf'] = [[t, df, stats.t.cdf(t, df)] for df in [1.0, 3.0, 57.479985562, 1e6] for t in [-40.0, -3.0, -1.0, 0.2, 4.0]]
    tps = [1e-12, 1e-6, 0.001, 0.025, 0.1, 0.4, 0.5, 0.6, 0.975, 0.995, 0.999999]
    out['t_ppf'] = [[p, df, stats.t.ppf(p, df)] for df in dfs for p in tps]
    cs = []
    for k in [1, 2, 3, 5, 10, 50, 100, 1000, 1e5]:
        for f in [0.01, 0.5, 1.0, 2.0, 5.0]:
            x = k * f
            cs.append([x, k, stats.chi2.sf(x, k), stats.chi2.cdf(x, k)])
    cs += [[16.3333333333, 2, stats.chi2.sf(16.3333333333, 2), stats.chi2.cdf(16.3333333333, 2)],
           [300.0, 1, stats.chi2.sf(300.0, 1), stats.chi2.cdf(300.0, 1)]]
    out['chi2'] = cs
    out['kolmogorov'] = [[x, special.kolmogorov(x)] for x in [0.03, 0.05, 0.1, 0.3, 0.5, 0.8, 0.82, 0.83, 1.0, 1.5, 2.0, 3.0, 6.0]]
    sm = []
    for n in [1, 2, 5, 10, 50, 100, 1000, 6667, 10000, 50000, 200000]:
        for x in [1e-4, 0.5 / n, 1.0 / n, 1.5 / n, 0.01, 0.03, 0.1, 0.3, 0.5, 0.9, 1 - 0.5 / n]:
            if 0 <= x <= 1:
                sm.append([n, x, special.smirnov(n, x)])
    sm += [[2000000, x, special.smirnov(2000000, x)] for x in [0.0005, 0.001, 0.003]]  # n > 10⁶: scipy's approximation
    out['smirnov'] = sm
    kt = []
    for n in [1, 2, 3, 5, 10, 40, 100, 140, 141, 500, 1000, 6667, 20000, 100000, 100001, 400000]:
        for x in [0.3 / n, 0.7 / n, 1.0 / n, 1.5 / n, 0.5 / math.sqrt(n), 0.8 / math.sqrt(n), 1.2 / math.sqrt(n),
                  1.6 / math.sqrt(n), 2.5 / math.sqrt(n), 4.0 / math.sqrt(n), 10 / math.sqrt(n), 0.3, 0.5, 0.7, 1 - 1.5 / n, 1.0]:
            if 0 < x <= 1:
                kt.append([x, n, stats.kstwo.sf(x, n), stats.kstwo.cdf(x, n)])
    out['kstwo'] = kt
    return out


# ----------------------------------------------------------------------------------------------------------------
# Two-sample KS

def ks_cases():
    I = lambda **kw: dict(kw)
    cases = []

    def add(name, d1, d2, alternative='two-sided', method='auto'):
        a, b = np.array(sample(d1)), np.array(sample(d2))
        import warnings
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always')
            r = stats.ks_2samp(a, b, alternative=alternative, method=method)
            fell_back = any('Switching to' in str(x.message) or 'not possible' in str(x.message) for x in w)
        cases.append({'name': name, 'data1': d1, 'data2': d2, 'alternative': alternative, 'method': method,
                      'statistic': float(r.statistic), 'pvalue': float(r.pvalue),
                      'statistic_sign': int(r.statistic_sign), 'fell_back_to_asymp': fell_back})

    # shared oracles (data reconstructed: A is 0..49 vs 4..63, B is 0..99 vs 7..106)
    a50 = [float(i) for i in range(50)]
    b60 = [float(i + 4) for i in range(60)]
    add('shared A auto', a50, b60)
    add('shared A exact', a50, b60, method='exact')
    add('shared A asymp', a50, b60, method='asymp')
    x100 = [float(i) for i in range(100)]
    y100 = [float(i + 7) for i in range(100)]
    add('shared B auto', x100, y100)
    add('shared B asymp', x100, y100, method='asymp')
    # tiny samples and ties
    add('n=1 vs n=1 equal', [1.0], [1.0])
    add('n=1 vs n=1 different', [1.0], [2.0])
    add('n=1 vs n=4', [2.5], [1.0, 2.0, 3.0, 4.0])
    add('n=2 vs n=3', [0.0, 10.0], [1.0, 2.0, 3.0])
    add('identical samples', [3.0, 1.0, 2.0, 2.0], [2.0, 1.0, 3.0, 2.0])
    add('constant vs constant', [5.0] * 7, [6.0] * 9)
    add('ties heavy 300/400', I(seed=11, n=300, dist='int', k=5), I(seed=12, n=400, dist='int', k=6))
    add('ties heavy 300/400 asymp', I(seed=11, n=300, dist='int', k=5), I(seed=12, n=400, dist='int', k=6), method='asymp')
    add('quantized normal 250/250', I(seed=21, n=250, dist='irwin', quant=4), I(seed=22, n=250, dist='irwin', shift=0.3, quant=4))
    # equal and unequal sizes, exact
    add('normal 100/100 shift', I(seed=31, n=100, dist='irwin'), I(seed=32, n=100, dist='irwin', shift=0.5))
    add('normal 37/113', I(seed=33, n=37, dist='irwin'), I(seed=34, n=113, dist='irwin', scale=1.5))
    add('normal 200/301', I(seed=35, n=200, dist='irwin'), I(seed=36, n=301, dist='irwin', shift=0.1))
    add('normal 1000/999', I(seed=37, n=1000, dist='irwin'), I(seed=38, n=999, dist='irwin', shift=0.12))
    add('normal 2000/3000 null', I(seed=39, n=2000, dist='irwin'), I(seed=40, n=3000, dist='irwin'))
    add('uniform 5000/5000', I(seed=41, n=5000, dist='uniform'), I(seed=42, n=5000, dist='uniform', scale=1.02))
    add('uniform 10000/9000 (exact, large)', I(seed=43, n=10000, dist='uniform'), I(seed=44, n=9000, dist='uniform', shift=0.01))
    add('strong shift 400/500 (tiny p)', I(seed=45, n=400, dist='irwin'), I(seed=46, n=500, dist='irwin', shift=1.5))
    # asymp by auto (max n > 10000)
    c1 = I(seed=51, n=12000, dist='uniform')
    add('uniform 12000/15000 auto->asymp', c1, I(seed=52, n=15000, dist='uniform', scale=1.01))
    add('normal 20000/40 auto->asymp', I(seed=53, n=20000, dist='irwin'), I(seed=54, n=40, dist='irwin', shift=0.2))
    add('normal 15000/11000 auto->asymp', I(seed=55, n=15000, dist='irwin'), I(seed=56, n=11000, dist='irwin', shift=0.02))
    add('normal 10001/10001 asymp', I(seed=57, n=10001, dist='irwin'), I(seed=58, n=10001, dist='irwin', shift=0.03))
    # forced methods
    add('normal 37/113 asymp', I(seed=33, n=37, dist='irwin'), I(seed=34, n=113, dist='irwin', scale=1.5), method='asymp')
    add('normal 12000/150 exact', I(seed=59, n=12000, dist='irwin'), I(seed=60, n=150, dist='irwin', shift=0.2), method='exact')
    # one-sided
    for alt in ['less', 'greater']:
        add(f'shared A {alt}', a50, b60, alternative=alt)
        add(f'normal 100/100 {alt}', I(seed=31, n=100, dist='irwin'), I(seed=32, n=100, dist='irwin', shift=0.5), alternative=alt)
        add(f'normal 300/200 {alt}', I(seed=61, n=300, dist='irwin'), I(seed=62, n=200, dist='irwin', shift=-0.2), alternative=alt)
        add(f'normal 37/113 {alt}', I(seed=33, n=37, dist='irwin'), I(seed=34, n=113, dist='irwin', scale=1.5), alternative=alt)
        add(f'normal 800/700 {alt} (scipy exact overflows)', I(seed=63, n=800, dist='irwin'), I(seed=64, n=700, dist='irwin', shift=0.1), alternative=alt)
        add(f'normal 800/700 {alt} asymp', I(seed=63, n=800, dist='irwin'), I(seed=64, n=700, dist='irwin', shift=0.1), alternative=alt, method='asymp')
        add(f'uniform 12000/15000 {alt}', c1, I(seed=52, n=15000, dist='uniform', scale=1.01), alternative=alt)
    return cases


# ----------------------------------------------------------------------------------------------------------------
# Drift: Evidently and NannyML, re-implemented from their sources

def ev_binned(ref, cur, numerical, feel_zeroes):
    ref, cur = np.asarray(ref), np.asarray(cur)
    if numerical and len(np.unique(ref)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins='sturges')
        rp = np.histogram(ref, bins)[0] / len(ref)
        cp = np.histogram(cur, bins)[0] / len(cur)
        nb = len(bins) - 1
    else:
        keys = sorted(set(ref.tolist()) | set(cur.tolist()))  # Evidently: set order; sorted here so the file is reproducible
        rc = {k: 0 for k in keys}
        cc = {k: 0 for k in keys}
        for v in ref.tolist():
            rc[v] += 1
        for v in cur.tolist():
            cc[v] += 1
        rp = np.array([rc[k] / len(ref) for k in keys])
        cp = np.array([cc[k] / len(cur) for k in keys])
        nb = None
    if feel_zeroes:
        for p in (rp, cp):
            m = min(p[p != 0])
            np.place(p, p == 0, m / 10 ** 6 if m <= 0.0001 else 0.0001)
    return rp, cp, nb


def ev_psi(ref, cur, numerical=True):
    rp, cp, nb = ev_binned(ref, cur, numerical, True)
    return float(np.sum((rp - cp) * np.log(rp / cp))), nb


def js_exact(p, q, base=None):
    """Jensen-Shannon distance of two float vectors in 50-digit arithmetic (scipy's float64 sum cancels when p ~ q)."""
    mpmath.mp.dps = 50
    p = [mpmath.mpf(float(x)) for x in p]
    q = [mpmath.mpf(float(x)) for x in q]
    sp, sq = sum(p), sum(q)
    p = [x / sp for x in p]
    q = [x / sq for x in q]
    tot = mpmath.mpf(0)
    for a, b in zip(p, q):
        m = (a + b) / 2
        if a > 0:
            tot += a * mpmath.log(a / m)
        if b > 0:
            tot += b * mpmath.log(b / m)
    if base is not None:
        tot /= mpmath.log(base)
    return float(mpmath.sqrt(tot / 2))


def ev_js(ref, cur, numerical=True):
    rp, cp, nb = ev_binned(ref, cur, numerical, False)
    return js_exact(rp, cp), float(jensenshannon(rp, cp))


def ev_wass(ref, cur):
    return float(stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001))


def ev_chi(ref, cur):
    keys = sorted(set(ref) | set(cur))
    rc = {k: 0 for k in keys}
    cc = {k: 0 for k in keys}
    for v in ref:
        rc[v] += 1
    for v in cur:
        cc[v] += 1
    k_norm = len(cur) / len(ref)
    f_exp = [rc[k] * k_norm for k in keys]
    f_obs = [cc[k] for k in keys]
    r = stats.chisquare(f_obs, f_exp)
    return float(r.statistic), float(r.pvalue), len(keys) - 1


def ev_z(ref, cur):
    if len(set(ref)) == 1 and len(set(cur)) == 1 and list(set(ref))[0] == list(set(cur))[0]:
        return 0.0, 1.0, 1.0
    keys = sorted(set(ref) | set(cur))
    r01 = [0 if x == keys[0] else 1 for x in ref]
    c01 = [0 if x == keys[0] else 1 for x in cur]
    n1, n2 = len(r01), len(c01)
    p1 = float(sum(r01)) / n1
    p2 = float(sum(c01)) / n2
    P = float(p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
    return float(z), float(2 * (1 - stats.norm.cdf(abs(z)))), float(2 * stats.norm.sf(abs(z)))


def ev_default(numerical, ref, cur):
    n_values = len(set(ref) | set(cur))
    if len(ref) <= 1000:
        if numerical and n_values > 5:
            return 'ks'
        return 'chisquare' if n_values > 2 else 'z'
    if numerical and n_values > 5:
        return 'wasserstein'
    return 'jensenshannon'


def nm_dists(ref, cur, continuous):
    ref, cur = np.asarray(ref), np.asarray(cur)
    if continuous:
        bins = np.histogram_bin_edges(ref, bins='doane')
        rp = np.histogram(ref, bins=bins)[0] / len(ref)
        cp = np.histogram(cur, bins=bins)[0] / len(cur)
        nb = len(bins) - 1
    else:
        ru, rc = np.unique(ref, return_counts=True)
        rp = rc / len(ref)
        cu, ccnt = np.unique(cur, return_counts=True)
        d = dict(zip(cu.tolist(), ccnt.tolist()))
        cp = np.array([d.get(k, 0) for k in ru.tolist()]) / len(cur)
        nb = None
    leftover = 1 - np.sum(cp)
    if leftover > 0:
        cp = np.append(cp, leftover)
        rp = np.append(rp, 0)
    return rp, cp, nb, float(max(leftover, 0.0))


def nm_continuous(ref):
    u = len(np.unique(ref))
    return u > 50 or u / len(ref) > 0.1


def drift_cases():
    I = lambda **kw: dict(kw)
    cases = []
    # shared DRIFT vectors (sin) — inlined
    i = np.arange(1, 201)
    j = np.arange(1, 151)
    ref_sin = (np.sin(i) * 10 + 50).tolist()
    cur_sin = (np.sin(j) * 12 + 53).tolist()
    numeric_pairs = [
        ('shared sin 200/150', ref_sin, cur_sin),
        ('normal 500/400 shift', I(seed=101, n=500, dist='irwin', scale=2.0, shift=10.0), I(seed=102, n=400, dist='irwin', scale=2.0, shift=10.4)),
        ('normal 3000/2000 scale', I(seed=103, n=3000, dist='irwin'), I(seed=104, n=2000, dist='irwin', scale=1.3)),
        ('normal 32/32 (64 combined)', I(seed=105, n=32, dist='irwin'), I(seed=106, n=32, dist='irwin', shift=0.5)),
        ('disjoint uniform 500/400 (empty bins)', I(seed=119, n=500, dist='uniform'), I(seed=120, n=400, dist='uniform', shift=2.0)),
        ('uniform 1000/1000 null', I(seed=107, n=1000, dist='uniform'), I(seed=108, n=1000, dist='uniform')),
        ('int 12 levels 800/600 (per-value bins)', I(seed=109, n=800, dist='int', k=12), I(seed=110, n=600, dist='int', k=14)),
        ('int 4 levels 900/900', I(seed=111, n=900, dist='int', k=4), I(seed=112, n=900, dist='int', k=4, shift=0.0)),
        ('int 3 levels 2000/1500', I(seed=113, n=2000, dist='int', k=3), I(seed=114, n=1500, dist='int', k=3)),
        ('binary 300/200', I(seed=115, n=300, dist='int', k=2), I(seed=116, n=200, dist='int', k=2)),
        ('quantized 1500/1200 (empty bins)', I(seed=117, n=1500, dist='irwin', quant=2), I(seed=118, n=1200, dist='irwin', shift=3.0, quant=2)),
        ('tiny 2/3', [1.0, 2.0], [2.0, 3.0, 4.0]),
        ('constant equal', [4.0] * 10, [4.0] * 5),
    ]
    for name, d1, d2 in numeric_pairs:
        r, c = sample(d1), sample(d2)
        psi_v, nb = ev_psi(r, c, True)
        entry = {'name': name, 'kind': 'numerical', 'ref': d1, 'cur': d2, 'psi': psi_v, 'psi_bins': nb,
                 'jensenshannon': ev_js(r, c, True)[0], 'jensenshannon_scipy': ev_js(r, c, True)[1], 'wasserstein_raw': float(stats.wasserstein_distance(r, c)),
                 'wasserstein_norm': ev_wass(r, c), 'std_ref': float(np.std(r)),
                 'default_method': ev_default(True, r, c), 'n_unique': len(set(r) | set(c))}
        ks = stats.ks_2samp(r, c)
        entry['ks'] = {'statistic': float(ks.statistic), 'pvalue': float(ks.pvalue)}
        if len(set(r) | set(c)) <= 20:
            st, p, dof = ev_chi(r, c)
            entry['chisquare'] = {'statistic': st, 'pvalue': p, 'dof': dof}
            z, pev, psf = ev_z(r, c)
            entry['z'] = {'statistic': z, 'pvalue_evidently': pev, 'pvalue': psf}
        cont = nm_continuous(r)
        entry['nannyml_continuous'] = bool(cont)
        if len(r) > 2:
            rp, cp, nbn, lo = nm_dists(r, c, True)
            entry['nannyml_cont'] = {'bins': nbn, 'leftover': lo, 'js': js_exact(rp, cp, 2), 'js_scipy': float(jensenshannon(rp, cp, base=2)),
                                     'hellinger': float(np.sqrt(np.sum((np.sqrt(rp) - np.sqrt(cp)) ** 2)) / np.sqrt(2))}
        cases.append(entry)

    cat_pairs = [
        ('shared CAT psi/js', ['a'] * 50 + ['b'] * 30 + ['c'] * 20, ['a'] * 30 + ['b'] * 30 + ['c'] * 35 + ['d'] * 5),
        ('shared CAT chisquare', ['a'] * 50 + ['b'] * 30 + ['c'] * 20, ['a'] * 30 + ['b'] * 40 + ['c'] * 30),
        ('shared z 30/100 vs 45/100', ['x'] * 70 + ['y'] * 30, ['x'] * 55 + ['y'] * 45),
        ('evidently own chisquare test', [c for c, k in zip('abcdef', [16, 18, 16, 14, 12, 12]) for _ in range(k)],
         [c for c, k in zip('abcdef', [16, 16, 16, 16, 16, 8]) for _ in range(k)]),
        ('labels 7 classes 1200/900', I(seed=201, n=1200, dist='int', k=7, labels=True), I(seed=202, n=900, dist='int', k=7, labels=True)),
        ('labels 2 classes 5000/4000', I(seed=203, n=5000, dist='int', k=2, labels=True), I(seed=204, n=4000, dist='int', k=2, labels=True)),
        ('same single value', ['k'] * 20, ['k'] * 30),
        ('different single values', ['k'] * 20, ['m'] * 30),
    ]
    for name, d1, d2 in cat_pairs:
        r, c = sample(d1), sample(d2)
        psi_v, _ = ev_psi(r, c, False)
        st, p, dof = ev_chi(r, c)
        z, pev, psf = ev_z(r, c)
        entry = {'name': name, 'kind': 'categorical', 'ref': d1, 'cur': d2, 'psi': psi_v, 'jensenshannon': ev_js(r, c, False)[0],
                 'jensenshannon_scipy': ev_js(r, c, False)[1],
                 'chisquare': {'statistic': st, 'pvalue': p, 'dof': dof}, 'z': {'statistic': z, 'pvalue_evidently': pev, 'pvalue': psf},
                 'default_method': ev_default(False, r, c), 'n_unique': len(set(r) | set(c))}
        rp, cp, _, lo = nm_dists(r, c, False)
        entry['nannyml_cat'] = {'leftover': lo, 'js': js_exact(rp, cp, 2), 'js_scipy': float(jensenshannon(rp, cp, base=2)),
                                'hellinger': float(np.sqrt(np.sum((np.sqrt(rp) - np.sqrt(cp)) ** 2)) / np.sqrt(2))}
        keys = sorted(set(r) | set(c))
        entry['l_infinity'] = float(max(abs(r.count(k) / len(r) - c.count(k) / len(c)) for k in keys))
        table = [[r.count(k) for k in keys], [c.count(k) for k in keys]]
        if len(keys) > 1:
            s2, p2, dof2, _ = stats.chi2_contingency(table)
            entry['chi2_contingency'] = {'statistic': float(s2), 'pvalue': float(p2), 'dof': int(dof2)}
        cases.append(entry)
    return cases


def histogram_cases():
    I = lambda **kw: dict(kw)
    out = []
    specs = [
        ('sturges n=64 rounding quirk', I(seed=301, n=64, dist='uniform', scale=7.0), 'sturges'),
        ('sturges 1000', I(seed=302, n=1000, dist='irwin'), 'sturges'),
        ('sturges constant', [2.0] * 9, 'sturges'),
        ('sturges two values', [0.0, 1.0], 'sturges'),
        ('doane skewed', I(seed=303, n=500, dist='uniform', scale=1.0, quant=1000), 'doane'),
        ('doane 2 values', [1.0, 5.0], 'doane'),
        ('doane constant', [3.0] * 10, 'doane'),
    ]
    for name, d, rule in specs:
        x = np.array(sample(d))
        if rule == 'doane' and name == 'doane skewed':
            x = x ** 2  # skew it (done the same way in the test)
        e = np.histogram_bin_edges(x, bins=rule)
        out.append({'name': name, 'data': d, 'square': name == 'doane skewed', 'rule': rule, 'edges': e.tolist(),
                    'counts': np.histogram(x, bins=e)[0].tolist()})
    return out


# ----------------------------------------------------------------------------------------------------------------
# A/B

def ab_cases():
    I = lambda **kw: dict(kw)
    out = {}
    i = np.arange(1, 36)
    k = np.arange(1, 41)
    B = (np.cos(i) * 3 + 11).tolist()
    A = (np.cos(k) * 2 + 10).tolist()
    welch = []
    for name, a, b in [('shared WELCH', A, B),
                       ('normal 50/70', I(seed=401, n=50, dist='irwin', scale=2.0, shift=5.0), I(seed=402, n=70, dist='irwin', scale=3.0, shift=5.6)),
                       ('normal 2/2', [1.0, 2.0], [2.0, 4.0]),
                       ('normal 5000/5000 tiny effect', I(seed=403, n=5000, dist='irwin'), I(seed=404, n=5000, dist='irwin', shift=0.01))]:
        av, bv = np.array(sample(a)), np.array(sample(b))
        for alt in ['two-sided', 'greater', 'less']:
            r = stats.ttest_ind(bv, av, equal_var=False, alternative=alt)
            ci = r.confidence_interval(0.95)
            welch.append({'name': name, 'control': a, 'treatment': b, 'alternative': alt, 'statistic': float(r.statistic),
                          'df': float(r.df), 'pvalue': float(r.pvalue), 'ci': [float(ci.low), float(ci.high)]})
    for name, (na, ma, va), (nb, mb, vb) in [('summary huge df', (2_000_000, 0.5, 1.0), (2_100_000, 0.5015, 1.1)),
                                             ('summary small df', (3, 1.0, 4.0), (4, 3.0, 0.25))]:
        r = stats.ttest_ind_from_stats(mb, math.sqrt(vb), nb, ma, math.sqrt(va), na, equal_var=False)
        vn = va / na + vb / nb
        df = vn ** 2 / ((vb / nb) ** 2 / (nb - 1) + (va / na) ** 2 / (na - 1))
        h = stats.t.ppf(0.975, df) * math.sqrt(vn)
        welch.append({'name': name, 'control': {'n': na, 'mean': ma, 'variance': va}, 'treatment': {'n': nb, 'mean': mb, 'variance': vb},
                      'alternative': 'two-sided', 'statistic': float(r.statistic), 'df': float(df), 'pvalue': float(r.pvalue),
                      'ci': [mb - ma - h, mb - ma + h]})
    out['welch'] = welch

    props = []
    for (xa, na), (xb, nb) in [((120, 1000), (150, 1000)), ((30, 100), (45, 100)), ((5000, 100000), (5300, 100000)),
                               ((0, 50), (3, 60)), ((1, 7), (6, 9)), ((200, 1000), (600, 1000))]:
        pa, pb = xa / na, xb / nb
        P = (xa + xb) / (na + nb)
        z = (pb - pa) / math.sqrt(P * (1 - P) * (1 / na + 1 / nb))
        se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
        zc = stats.norm.ppf(0.975)
        props.append({'control': [xa, na], 'treatment': [xb, nb], 'statistic': z, 'pvalue': float(2 * stats.norm.sf(abs(z))),
                      'pvalue_greater': float(stats.norm.sf(z)), 'pvalue_less': float(stats.norm.cdf(z)),
                      'ci': [pb - pa - zc * se, pb - pa + zc * se], 'se': se})
    out['proportions'] = props

    lifts = []
    for (na, ma, va), (nb, mb, vb) in [((1000, 0.12, 0.12 * 0.88), (1000, 0.15, 0.15 * 0.85)), ((40, 10.0, 4.0), (35, 11.0, 9.0)),
                                       ((300000, 25.3, 400.0), (310000, 25.1, 390.0))]:
        lift = (mb - ma) / ma
        v = vb / (ma ** 2 * nb) + va * mb ** 2 / (ma ** 4 * na)
        vn = va / na + vb / nb
        df = vn ** 2 / ((vb / nb) ** 2 / (nb - 1) + (va / na) ** 2 / (na - 1))
        se = math.sqrt(v)
        q = stats.t.ppf(0.975, df)
        lifts.append({'control': {'n': na, 'mean': ma, 'variance': va}, 'treatment': {'n': nb, 'mean': mb, 'variance': vb},
                      'lift': lift, 'se': se, 'df': df, 'pvalue': float(2 * stats.t.sf(abs(lift / se), df)), 'ci': [lift - q * se, lift + q * se]})
    out['lift'] = lifts

    sizes = []
    for p0, p1, alpha, power in [(0.10, 0.12, 0.05, 0.8), (0.05, 0.055, 0.05, 0.9), (0.5, 0.4, 0.01, 0.8), (0.01, 0.02, 0.1, 0.5)]:
        pbar = (p0 + p1) / 2
        za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
        n = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p0 * (1 - p0) + p1 * (1 - p1))) ** 2 / (p1 - p0) ** 2
        s0, s1 = math.sqrt(2 * pbar * (1 - pbar)), math.sqrt(p0 * (1 - p0) + p1 * (1 - p1))
        d = abs(p1 - p0) * math.sqrt(n)
        pw = stats.norm.cdf((d - za * s0) / s1) + stats.norm.cdf((-d - za * s0) / s1)
        sizes.append({'p0': p0, 'p1': p1, 'alpha': alpha, 'power': power, 'n': n, 'power_at_n': float(pw)})
    out['sample_size'] = sizes
    powers = []
    for eff, se, alpha in [(0.03, 0.0152676128, 0.05), (0.0, 1.0, 0.05), (-2.0, 1.0, 0.01), (5.0, 1.0, 0.05)]:
        z = stats.norm.ppf(1 - alpha / 2)
        pw = 1 - stats.norm.cdf(z - eff / se) + stats.norm.cdf(stats.norm.ppf(alpha / 2) - eff / se)
        powers.append({'effect': eff, 'se': se, 'alpha': alpha, 'power': float(pw),
                       'mde_at_80': float((z + stats.norm.ppf(0.8)) * se)})
    out['power'] = powers
    means = []
    for delta, sd, alpha, power in [(0.5, 2.0, 0.05, 0.8), (1.0, 10.0, 0.01, 0.9)]:
        z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
        means.append({'delta': delta, 'sd': sd, 'alpha': alpha, 'power': power, 'n': 2 * sd ** 2 * z ** 2 / delta ** 2})
    out['sample_size_means'] = means

    srm = []
    for counts, shares in [([4900, 5100], [0.5, 0.5]), ([9400, 600], [0.95, 0.05]), ([1000, 1100, 950], [1, 1, 1])]:
        exp = np.array(shares, dtype=float) / np.sum(shares) * np.sum(counts)
        r = stats.chisquare(counts, exp)
        srm.append({'counts': counts, 'shares': shares, 'statistic': float(r.statistic), 'pvalue': float(r.pvalue)})
    out['srm'] = srm

    gavi = []
    for est, se, n, alpha, S in [(0.03, math.sqrt(.12 * .88 / 1000 + .15 * .85 / 1000), 2000, 0.05, 5000),
                                 (0.5, 0.1, 400, 0.05, 5000), (0.001, 0.004, 200000, 0.1, 2000), (-0.2, 0.05, 10000, 0.01, 5000)]:
        rho = math.sqrt((-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / S)
        s2 = se ** 2 * n
        hw = math.sqrt(s2) * math.sqrt(2 * (n * rho ** 2 + 1) * math.log(math.sqrt(n * rho ** 2 + 1) / alpha) / (n * rho) ** 2)
        st2 = est ** 2 * n / se ** 2
        t = n * rho ** 2 + 1
        p = min(1.0, math.sqrt(t) * math.exp(-rho ** 2 * st2 / (2 * t)))
        gavi.append({'estimate': est, 'se': se, 'n': n, 'alpha': alpha, 'tuning': S, 'rho': rho, 'halfwidth': hw, 'pvalue': p})
    out['gavi'] = gavi

    ms = []
    for est, n, V, tau2 in [(0.1, 1000, 2.0, 0.01), (0.02, 5000, 0.42, 0.001), (0.0, 10, 1.0, 0.5), (-0.3, 200, 2.0, 0.05)]:
        lam = math.sqrt(V / (V + n * tau2)) * math.exp(n ** 2 * tau2 * est ** 2 / (2 * V * (V + n * tau2)))
        ms.append({'estimate': est, 'n': n, 'V': V, 'tau2': tau2, 'lambda': lam, 'pvalue': min(1.0, 1 / lam)})
    out['msprt'] = ms
    tau = []
    for sigma2, M, alpha in [(1.0, 10000, 0.05), (0.21, 50000, 0.1)]:
        b = 2 * math.log(1 / alpha) / math.sqrt(M * sigma2)
        tau.append({'sigma2': sigma2, 'horizon': M, 'alpha': alpha,
                    'tau2': float(sigma2 * stats.norm.cdf(-b) / (stats.norm.pdf(b) / b - stats.norm.cdf(-b)))})
    out['msprt_tau2'] = tau
    return out


def main():
    doc = {
        'meta': {'generator': 'scripts/oracles/make_stats_oracles.py', 'scipy': scipy.__version__, 'numpy': np.__version__,
                 'python': sys.version.split()[0]},
        'special': special_values(),
        'ks2samp': ks_cases(),
        'drift': drift_cases(),
        'histograms': histogram_cases(),
        'ab': ab_cases(),
    }
    with open(OUT, 'w') as f:
        json.dump(enc(doc), f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {os.path.relpath(OUT)} ({os.path.getsize(OUT)} bytes)')


if __name__ == '__main__':
    main()
