#!/usr/bin/env python3
"""Fixture data and reference values for ML Sight's drift report (src/core/drift).

Writes the data files in test/fixtures/drift/ (deterministic: a MINSTD generator, values printed with at most
15 significant digits) and test/unit/fixtures/drift-oracles.json. The unit tests read only those files; this
script is how they were made:

    python3 scripts/oracles/make_drift_oracles.py    # Debian: python3-pandas python3-scipy python3-sklearn python3-mpmath

The reference values come from the real pandas reading the same CSV files (dtypes, missing values), Evidently's
column typing and default test choice re-implemented from evidently/legacy/utils/data_preprocessing.py and
stattests/registry.py, the drift statistics of make_stats_oracles.py (scipy ks_2samp, wasserstein_distance,
jensenshannon, chisquare; Evidently's binning and PSI), NannyML's chunking and univariate Jensen–Shannon with its
alert thresholds, and scikit-learn's metrics.
"""
import json
import math
import os
import sys

import numpy as np
import pandas as pd
import scipy
from scipy import stats
from scipy.spatial.distance import jensenshannon
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, mean_squared_error, roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_stats_oracles as so  # noqa: E402

ROOT = os.path.join(HERE, '..', '..')
FIX = os.path.join(ROOT, 'test', 'fixtures', 'drift')
OUT = os.path.join(ROOT, 'test', 'unit', 'fixtures', 'drift-oracles.json')
HOSTILE = '<img src=x onerror=alert(1)>'


class Rng:
    """MINSTD, as in make_stats_oracles.py."""

    def __init__(self, seed):
        self.x = seed

    def u(self):
        self.x = (48271 * self.x) % 2147483647
        return self.x / 2147483647

    def normal(self):
        return sum(self.u() for _ in range(12)) - 6.0

    def choice(self, items, weights=None):
        r = self.u()
        if weights is None:
            return items[min(len(items) - 1, int(r * len(items)))]
        acc = 0.0
        for item, w in zip(items, weights):
            acc += w
            if r < acc:
                return item
        return items[-1]


def csv_field(v):
    s = str(v)
    if any(c in s for c in ',"\n\r'):
        return '"' + s.replace('"', '""') + '"'
    return s


def write_csv(name, header, rows):
    with open(os.path.join(FIX, name), 'w', newline='') as f:
        f.write(','.join(csv_field(h) for h in header) + '\n')
        for r in rows:
            f.write(','.join(csv_field(v) for v in r) + '\n')


CITIES = ['Berlin', 'New York, NY', 'São Paulo', 'Quote "q"', 'Lagos', 'Tokyo']


def classification_rows(seed, n, shift, start_day, days, degrade):
    rng = Rng(seed)
    rows = []
    for i in range(n):
        t = start_day * 86400 + int(i * days * 86400 / n)
        ts = pd.Timestamp(t, unit='s').strftime('%Y-%m-%dT%H:%M:%S')
        age = int(18 + math.floor(rng.u() * 50)) + (int(math.floor(rng.u() * 8)) if shift else 0)
        income = round(50000 + 12000 * rng.normal() + shift * 6000, 2)
        r = rng.u()
        balance = 'NA' if r < 0.03 else '' if r < 0.05 else ('inf' if r < 0.052 else '%.3f' % (1000 * rng.u() + shift * 150))
        rating = 1 + int(math.floor(rng.u() * 5 if not shift else min(4.999, rng.u() * 5.5)))
        city = rng.choice(CITIES, [0.25, 0.2, 0.2, 0.1, 0.15, 0.1] if not shift else [0.15, 0.2, 0.2, 0.1, 0.15, 0.2])
        member = 'True' if rng.u() < (0.4 if not shift else 0.45) else 'False'
        hostile = '%.6f' % (rng.u() * 10)
        p = 0.3 + 0.2 * (age - 18) / 60 + (0.1 if city == 'Tokyo' else 0)
        target = 1 if rng.u() < p else 0
        # the model is right 88% of the time, less as the current data ages (concept drift)
        acc = 0.88 - (degrade * i / n)
        correct = rng.u() < acc
        pred = target if correct else 1 - target
        proba = round(min(0.999, max(0.001, (0.75 if pred == 1 else 0.25) + 0.2 * rng.normal() / 3)), 4)
        rows.append([ts, age, '%.2f' % income, balance, rating, city, member, hostile, target, pred, proba])
    return rows


CLS_HEADER = ['timestamp', 'age', 'income', 'balance', 'rating', 'city', 'is_member', HOSTILE, 'target', 'prediction', 'proba']


def small_rows(seed, n, shift):
    rng = Rng(seed)
    rows = []
    for _ in range(n):
        x = '%.5f' % (rng.normal() + shift * 0.35)
        k = int(math.floor(rng.u() * 10))
        grade = rng.choice(['A', 'B', 'C'], [0.5, 0.3, 0.2] if not shift else [0.4, 0.3, 0.3])
        yes = rng.choice(['n', 'y'], [0.7, 0.3] if not shift else [0.6, 0.4])
        tiny = int(math.floor(rng.u() * 3))
        sparse = '' if rng.u() < 0.4 else '%.2f' % (rng.u() * 3)
        rows.append([x, k, grade, yes, tiny, sparse])
    return rows


SMALL_HEADER = ['x', 'k', 'grade', 'yes', 'tiny', 'sparse']


def regression_rows(seed, n, shift, degrade):
    rng = Rng(seed)
    rows = []
    for i in range(n):
        x1 = rng.normal() + shift * 0.2
        x2 = rng.u() * 4
        y = 3 * x1 + x2 + 0.5 * rng.normal()
        noise = 0.5 + degrade * 2 * i / n
        y_pred = 3 * x1 + x2 + noise * rng.normal()
        rows.append(['%.4f' % x1, '%.4f' % x2, '%.4f' % y, '%.4f' % y_pred])
    return rows


REG_HEADER = ['x1', 'x2', 'y', 'y_pred']

# ----------------------------------------------------------------------------------------------------------------
# Evidently's typing and default tests (evidently legacy), on the dtypes pandas gives


def nunique(s):
    return int(s.nunique())


def evidently_type(col, ref, cur, role, task=None):
    rt, ct = ref[col].dtype, cur[col].dtype
    if rt != ct:
        avail = 'iufcmM'
        if rt.kind not in avail or ct.kind not in avail:
            ct = rt
        elif not np.can_cast(ct, rt) and not np.can_cast(rt, ct):
            ct = rt
    dtype = ct
    nu = nunique(ref[col]) or nunique(cur[col])
    if role == 'target':
        reg = task == 'regression' or (pd.api.types.is_numeric_dtype(dtype) and task != 'classification' and nu > 5)
        return 'numerical' if reg else 'categorical'
    if role == 'prediction':
        cmax, cmin = cur[col].max(), cur[col].min()
        if (pd.api.types.is_string_dtype(dtype)
                or (pd.api.types.is_integer_dtype(dtype) and task != 'regression' and nu <= 5)
                or (pd.api.types.is_numeric_dtype(dtype) and task != 'regression' and nu <= 5 and (cmax > 1 or cmin < 0))
                or (pd.api.types.is_numeric_dtype(dtype) and task == 'classification' and (cmax > 1 or cmin < 0))):
            return 'categorical'
        return 'numerical'
    if pd.api.types.is_integer_dtype(dtype):
        return 'categorical' if nu <= 5 else 'numerical'
    if pd.api.types.is_numeric_dtype(dtype):
        return 'categorical' if dtype == bool else 'numerical'
    return 'categorical'


def clean(s):
    """Evidently: ±inf → NaN, then dropna."""
    return s.replace([np.inf, -np.inf], np.nan).dropna()


def column_oracle(col, role, ref, cur, task):
    typ = evidently_type(col, ref, cur, role, task)
    r, c = clean(ref[col]), clean(cur[col])
    numerical = typ == 'numerical'
    rv, cv = r.values, c.values
    method = so.ev_default(numerical, rv.tolist(), cv.tolist())
    out = {
        'name': col, 'role': role, 'type': typ, 'dtype_ref': str(ref[col].dtype), 'dtype_cur': str(cur[col].dtype),
        'n_ref': int(len(r)), 'n_cur': int(len(c)), 'n_unique': len(set(rv.tolist()) | set(cv.tolist())),
        'missing_ref': int(ref[col].isna().sum()), 'missing_cur': int(cur[col].isna().sum()),
        'inf_ref': int(np.isinf(ref[col]).sum()) if numerical else 0, 'inf_cur': int(np.isinf(cur[col]).sum()) if numerical else 0,
        'method': method,
    }
    out['psi'] = so.ev_psi(rv, cv, numerical)[0]
    out['jensenshannon'] = so.ev_js(rv, cv, numerical)[0]
    if numerical:
        ks = stats.ks_2samp(rv, cv)
        out['ks'] = {'statistic': float(ks.statistic), 'pvalue': float(ks.pvalue)}
        out['wasserstein_norm'] = so.ev_wass(rv, cv)
    else:
        st, p, dof = so.ev_chi(rv.tolist(), cv.tolist())
        out['chisquare'] = {'statistic': st, 'pvalue': p, 'dof': dof}
        if out['n_unique'] <= 2:
            z, _, p2 = so.ev_z(rv.tolist(), cv.tolist())
            out['z'] = {'statistic': z, 'pvalue': p2}
    score = {'ks': lambda: out['ks']['pvalue'], 'wasserstein': lambda: out['wasserstein_norm'], 'jensenshannon': lambda: out['jensenshannon'],
             'psi': lambda: out['psi'], 'chisquare': lambda: out['chisquare']['pvalue'], 'z': lambda: out['z']['pvalue']}[method]()
    out['score'] = score
    out['drifted'] = bool(score <= 0.05 if method == 'ks' else score < 0.05 if method in ('chisquare', 'z') else score >= 0.1)
    return out


# ----------------------------------------------------------------------------------------------------------------
# NannyML chunks


def count_chunks(n, k):
    size = n // k
    return [(i * size, n if i == k - 1 else (i + 1) * size) for i in range(k)]


def nm_js(ref_values, chunk_values, continuous):
    rp, cp, _, _ = so.nm_dists(ref_values, chunk_values, continuous)
    return so.js_exact(rp, cp, 2)


def nm_upper(values):
    v = np.asarray(values, dtype=float)
    return float(np.mean(v) + 3 * np.std(v))


def band(values, lower_limit, upper_limit):
    v = np.asarray(values, dtype=float)
    m, s = float(np.mean(v)), float(np.std(v))
    lo, hi = m - 3 * s, m + 3 * s
    if lower_limit is not None:
        lo = max(lo, lower_limit)
    if upper_limit is not None:
        hi = min(hi, upper_limit)
    return lo, hi


def over_time(ref, cur, drift_cols, k, metric_fn=None, limits=(0, 1)):
    rchunks = count_chunks(len(ref), k)
    cchunks = count_chunks(len(cur), k)
    out = {'chunk_rows': [b - a for a, b in cchunks], 'drift': [], 'performance': None}
    for col, typ in drift_cols:
        continuous = typ == 'numerical'
        rv = clean(ref[col]).values
        rvals = [nm_js(rv, clean(ref[col].iloc[a:b]).values, continuous) for a, b in rchunks]
        cvals = [nm_js(rv, clean(cur[col].iloc[a:b]).values, continuous) for a, b in cchunks]
        up = min(1.0, nm_upper(rvals))
        out['drift'].append({'name': col, 'values': cvals, 'reference_values': rvals, 'upper': up, 'alerts': [v > up for v in cvals]})
    if metric_fn:
        perf = {}
        for name, fn in metric_fn.items():
            rvals = [fn(ref.iloc[a:b]) for a, b in rchunks]
            cvals = [fn(cur.iloc[a:b]) for a, b in cchunks]
            lo, hi = band(rvals, limits[name][0], limits[name][1])
            perf[name] = {'values': cvals, 'reference_values': rvals, 'lower': lo, 'upper': hi,
                          'alerts': [v < lo or v > hi for v in cvals], 'reference': fn(ref), 'current': fn(cur)}
        out['performance'] = perf
    return out


def pair_oracle(name, ref_file, cur_file, target=None, prediction=None, time=None, task=None, chunks=10):
    ref = pd.read_csv(os.path.join(FIX, ref_file))
    cur = pd.read_csv(os.path.join(FIX, cur_file))
    utility = [c for c in (target, prediction, time) if c]
    cols = []
    if target:
        t = column_oracle(target, 'target', ref, cur, task)
        cols.append(t)
        task = task or ('classification' if t['type'] == 'categorical' else 'regression')
    if prediction:
        cols.append(column_oracle(prediction, 'prediction', ref, cur, task))
    for c in ref.columns:
        if c in utility or c not in cur.columns:
            continue
        cols.append(column_oracle(c, 'feature', ref, cur, task))
    n_drifted = sum(1 for c in cols if c['drifted'])
    share = n_drifted / len(cols)
    return {'name': name, 'reference': ref_file, 'current': cur_file, 'target': target, 'prediction': prediction, 'time': time, 'task': task,
            'n_ref_rows': len(ref), 'n_cur_rows': len(cur), 'columns': cols,
            'dataset': {'n_columns': len(cols), 'n_drifted': n_drifted, 'share': share, 'drifted': share >= 0.5}}, ref, cur


def main():
    os.makedirs(FIX, exist_ok=True)
    # January → February 2024 (days since the epoch: 19723 = 2024-01-01)
    write_csv('reference.csv', CLS_HEADER, classification_rows(11, 1500, 0, 19723, 31, 0.0))
    write_csv('current.csv', CLS_HEADER, classification_rows(23, 1200, 1, 19754, 29, 0.3))
    write_csv('small_reference.csv', SMALL_HEADER, small_rows(5, 400, 0))
    write_csv('small_current.csv', SMALL_HEADER, small_rows(7, 300, 1))
    write_csv('reg_reference.csv', REG_HEADER, regression_rows(31, 800, 0, 0.0))
    write_csv('reg_current.csv', REG_HEADER, regression_rows(37, 600, 1, 1.0))

    cases = []
    # 1. classification, label predictions, time column
    o, ref, cur = pair_oracle('classification', 'reference.csv', 'current.csv', target='target', prediction='prediction', time='timestamp')
    fcols = [(c['name'], c['type']) for c in o['columns']]
    acc = lambda d: float(accuracy_score(d['target'], d['prediction']))
    f1 = lambda d: float(f1_score(d['target'], d['prediction'], pos_label=1))
    o['over_time'] = over_time(ref, cur, fcols, 10, {'accuracy': acc, 'f1': f1}, {'accuracy': (0, 1), 'f1': (0, 1)})
    cases.append(o)
    # 2. classification with probabilities as the prediction (proba), no time column
    o, ref, cur = pair_oracle('probabilities', 'reference.csv', 'current.csv', target='target', prediction='proba', time='timestamp')
    auc = lambda d: float(roc_auc_score(d['target'], d['proba']))
    acc05 = lambda d: float(accuracy_score(d['target'], (d['proba'] >= 0.5).astype(int)))
    o['over_time'] = over_time(ref, cur, [], 10, {'auc': auc, 'accuracy': acc05}, {'auc': (0, 1), 'accuracy': (0, 1)})
    cases.append(o)
    # 3. small files: KS, chi-square and z-test defaults
    o, ref, cur = pair_oracle('small', 'small_reference.csv', 'small_current.csv')
    cases.append(o)
    # 4. regression
    o, ref, cur = pair_oracle('regression', 'reg_reference.csv', 'reg_current.csv', target='y', prediction='y_pred')
    rm = lambda d: float(math.sqrt(mean_squared_error(d['y'], d['y_pred'])))
    ma = lambda d: float(mean_absolute_error(d['y'], d['y_pred']))
    o['over_time'] = over_time(ref, cur, [('x1', 'numerical')], 5, {'rmse': rm, 'mae': ma}, {'rmse': (0, None), 'mae': (0, None)})
    cases.append(o)

    doc = {'meta': {'generator': 'scripts/oracles/make_drift_oracles.py', 'pandas': pd.__version__, 'scipy': scipy.__version__,
                    'numpy': np.__version__, 'python': sys.version.split()[0]},
           'cases': cases}
    with open(OUT, 'w') as f:
        json.dump(so.enc(doc), f, indent=1)
        f.write('\n')
    print(f'wrote {os.path.relpath(OUT)} and {len(os.listdir(FIX))} files in {os.path.relpath(FIX)}')


if __name__ == '__main__':
    main()
