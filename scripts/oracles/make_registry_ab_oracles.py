#!/usr/bin/env python3
"""Reference values for the champion-vs-challenger A/B analysis (src/core/registry/abAnalysis.ts), computed with
scipy. Writes test/unit/fixtures/registry-ab-oracles.json; the unit tests (test/unit/registry-ab.test.ts) read only
that file. Remake it with:

    python3 scripts/oracles/make_registry_ab_oracles.py     # needs numpy and scipy (Debian: python3-scipy)

Each scenario gives the arms, the options, and what scipy says: the test statistic, p-value and interval
(scipy.stats.ttest_ind_from_stats / ttest_ind for Welch, the pooled z formula with scipy.stats.norm for proportions),
the delta-method relative lift (GrowthBook), the sample-ratio chi-square (scipy.stats.chisquare), power, MDE and
the planned sample size, the sequential p-values (GrowthBook GAVI, mSPRT), and the expected verdict under the
rules documented in abAnalysis.ts (applied here independently).
"""
import json
import math
import os

import numpy as np
from scipy import stats

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'unit', 'fixtures', 'registry-ab-oracles.json')
norm = stats.norm


def proportion(a, b, alpha):
    (xa, na), (xb, nb) = a, b
    pa, pb = xa / na, xb / nb
    P = (xa + xb) / (na + nb)
    pooled = math.sqrt(P * (1 - P) * (1 / na + 1 / nb))
    diff = pb - pa
    z = diff / pooled if pooled > 0 else 0.0
    p = min(1.0, 2 * norm.sf(abs(z)))
    se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    h = norm.ppf(1 - alpha / 2) * se
    out = {'statistic': z, 'df': None, 'pValue': p, 'difference': diff, 'standardError': se, 'ci': [diff - h, diff + h]}
    va, vb = pa * (1 - pa), pb * (1 - pb)
    lift = None
    if pa != 0:
        l = (pb - pa) / pa
        s = math.sqrt(vb / (pa * pa * nb) + va * pb * pb / (pa ** 4 * na))
        lp = min(1.0, 2 * norm.sf(abs(l / s)))
        hh = norm.ppf(1 - alpha / 2) * s
        lift = {'value': l, 'ci': [l - hh, l + hh], 'pValue': lp}
    return out, lift, (na, pa, va), (nb, pb, vb)


def welch(a, b, alpha):
    (na, ma, sa), (nb, mb, sb) = a, b
    r = stats.ttest_ind_from_stats(mb, sb, nb, ma, sa, na, equal_var=False)
    va, vb = sa * sa, sb * sb
    se = math.sqrt(va / na + vb / nb)
    df = (va / na + vb / nb) ** 2 / ((vb / nb) ** 2 / (nb - 1) + (va / na) ** 2 / (na - 1))
    diff = mb - ma
    h = stats.t.ppf(1 - alpha / 2, df) * se
    out = {'statistic': float(r.statistic), 'df': df, 'pValue': float(r.pvalue), 'difference': diff, 'standardError': se, 'ci': [diff - h, diff + h]}
    l = (mb - ma) / ma
    s = math.sqrt(vb / (ma * ma * nb) + va * mb * mb / (ma ** 4 * na))
    lp = min(1.0, 2 * stats.t.sf(abs(l / s), df))
    hh = stats.t.ppf(1 - alpha / 2, df) * s
    return out, {'value': l, 'ci': [l - hh, l + hh], 'pValue': lp}, (na, ma, va), (nb, mb, vb)


def plan(arm_a, arm_b, opts):
    na, ma, va = arm_a
    nb, mb, vb = arm_b
    alpha, power, lift, s = opts['alpha'], opts['power'], opts['targetLift'], opts['challengerShare']
    v0 = va if va > 0 else vb
    se = math.sqrt(v0 / na + v0 / nb)
    z = norm.ppf(1 - alpha / 2)
    mde = (z + norm.ppf(power)) * se
    target = abs(ma) * lift
    out = {'mde': mde, 'mdeRelative': mde / abs(ma) if ma != 0 else None, 'power': None, 'requiredTotal': None, 'moreNeeded': None}
    if target > 0 and v0 > 0:
        r = target / se
        out['power'] = float(norm.sf(z - r) + norm.cdf(-z - r))
        req = math.ceil(v0 * (1 / (1 - s) + 1 / s) * (z + norm.ppf(power)) ** 2 / target ** 2)
        out['requiredTotal'] = req
        out['moreNeeded'] = max(0, req - (na + nb))
    return out


def gavi(diff, se, n, alpha, S=5000):
    rho = math.sqrt((-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / S)
    s2 = se * se * n
    t = n * rho * rho + 1
    half = math.sqrt(s2) * math.sqrt(2 * t * math.log(math.sqrt(t) / alpha) / (n * rho) ** 2)
    p = min(1.0, math.sqrt(t) * math.exp(-(rho * rho * (diff * diff * n / (se * se))) / (2 * t)))
    return {'pValue': p, 'ci': [diff - half, diff + half]}


def msprt(diff, n, V, horizon, alpha):
    sigma2 = V / 2
    b = 2 * math.log(1 / alpha) / math.sqrt(horizon * sigma2)
    tau2 = sigma2 * norm.sf(b) / (norm.pdf(b) / b - norm.sf(b))
    denom = V + n * tau2
    log_lambda = 0.5 * math.log(V / denom) + n * n * tau2 * diff * diff / (2 * V * denom)
    return {'pValue': min(1.0, math.exp(-log_lambda)), 'ci': None}


def analyze(sc):
    opts = {'alpha': 0.05, 'power': 0.8, 'targetLift': 0.05, 'challengerShare': 0.5, 'srmAlpha': 0.001, 'sequential': 'none'}
    opts.update(sc.get('options', {}))
    alpha = opts['alpha']
    results = []
    for m in sc['metrics']:
        if m['kind'] == 'proportion':
            a, b = m['champion'], m['challenger']
            test, lift, arm_a, arm_b = proportion((a['successes'], a['n']), (b['successes'], b['n']), alpha)
        else:
            a, b = m['champion'], m['challenger']
            if 'values' in a:
                xa, xb = np.array(a['values'], dtype=float), np.array(b['values'], dtype=float)
                r = stats.ttest_ind(xb, xa, equal_var=False)
                sa, sb = float(np.std(xa, ddof=1)), float(np.std(xb, ddof=1))
                test, lift, arm_a, arm_b = welch((len(xa), float(np.mean(xa)), sa), (len(xb), float(np.mean(xb)), sb), alpha)
                assert abs(test['statistic'] - r.statistic) < 1e-9 and abs(test['pValue'] - r.pvalue) < 1e-12
            else:
                test, lift, arm_a, arm_b = welch((a['n'], a['mean'], a['sd']), (b['n'], b['mean'], b['sd']), alpha)
        pl = plan(arm_a, arm_b, opts)
        seq = None
        if opts['sequential'] == 'gavi':
            seq = gavi(test['difference'], test['standardError'], arm_a[0] + arm_b[0], alpha)
            seq['method'] = 'gavi'
        elif opts['sequential'] == 'msprt':
            V = arm_a[2] + arm_b[2]
            n = min(arm_a[0], arm_b[0])
            horizon = max(n, math.ceil(pl['requiredTotal'] / 2)) if pl['requiredTotal'] else n
            seq = msprt(test['difference'], n, V, horizon, alpha)
            seq['method'] = 'msprt'
        dp = seq['pValue'] if seq else test['pValue']
        sig = dp < alpha and test['difference'] != 0
        good = test['difference'] > 0 if m['direction'] == 'maximize' else test['difference'] < 0
        outcome = ('better' if good else 'worse') if sig else 'inconclusive'
        results.append({'name': m['name'], 'role': m['role'], **test, 'lift': lift, 'sequential': seq, 'decisionPValue': dp, 'outcome': outcome, **pl})
    prim = [m for m in sc['metrics'] if m['role'] == 'primary'][0]
    na, nb = prim['champion']['n'] if 'n' in prim['champion'] else len(prim['champion']['values']), prim['challenger']['n'] if 'n' in prim['challenger'] else len(prim['challenger']['values'])
    N = na + nb
    s = opts['challengerShare']
    chi = stats.chisquare([na, nb], f_exp=[N * (1 - s), N * s])
    srm = {'statistic': float(chi.statistic), 'pValue': float(chi.pvalue), 'mismatch': bool(chi.pvalue < opts['srmAlpha'])}
    p = results[0]
    guards = results[1:]
    if srm['mismatch']:
        verdict = 'invalid'
    elif p['outcome'] == 'worse':
        verdict = 'keep-champion'
    elif any(g['outcome'] == 'worse' for g in guards):
        verdict = 'keep-champion'
    elif p['outcome'] == 'better':
        verdict = 'promote'
    elif p['moreNeeded'] == 0:
        verdict = 'keep-champion'
    else:
        verdict = 'not-enough-data'
    return {'srm': srm, 'metrics': results, 'verdict': verdict}


def P(x, n):
    return {'successes': x, 'n': n}


SCENARIOS = [
    {'name': '5% canary, challenger converts better', 'options': {'challengerShare': 0.05},
     'metrics': [{'name': 'converted', 'role': 'primary', 'direction': 'maximize', 'kind': 'proportion', 'champion': P(1900, 19000), 'challenger': P(140, 1000)}]},
    {'name': 'too few observations yet', 'metrics': [{'name': 'converted', 'role': 'primary', 'direction': 'maximize', 'kind': 'proportion', 'champion': P(50, 500), 'challenger': P(55, 500)}]},
    {'name': 'sample-ratio mismatch (50/50 observed, 10 % planned)', 'options': {'challengerShare': 0.1},
     'metrics': [{'name': 'converted', 'role': 'primary', 'direction': 'maximize', 'kind': 'proportion', 'champion': P(500, 5000), 'challenger': P(600, 5000)}]},
    {'name': 'challenger significantly worse', 'metrics': [{'name': 'converted', 'role': 'primary', 'direction': 'maximize', 'kind': 'proportion', 'champion': P(150, 1000), 'challenger': P(100, 1000)}]},
    {'name': 'powered test, no difference', 'metrics': [{'name': 'converted', 'role': 'primary', 'direction': 'maximize', 'kind': 'proportion', 'champion': P(10000, 100000), 'challenger': P(10020, 100000)}]},
    {'name': 'continuous metric, Welch win', 'metrics': [{'name': 'revenue', 'role': 'primary', 'direction': 'maximize', 'kind': 'mean', 'champion': {'n': 400, 'mean': 10.0, 'sd': 3.0}, 'challenger': {'n': 420, 'mean': 10.8, 'sd': 3.2}}]},
    {'name': 'primary wins but the latency guardrail is worse', 'metrics': [
        {'name': 'converted', 'role': 'primary', 'direction': 'maximize', 'kind': 'proportion', 'champion': P(1000, 10000), 'challenger': P(1150, 10000)},
        {'name': 'latency_ms', 'role': 'guardrail', 'direction': 'minimize', 'kind': 'mean', 'champion': {'n': 10000, 'mean': 120.0, 'sd': 30.0}, 'challenger': {'n': 10000, 'mean': 123.0, 'sd': 31.0}}]},
    {'name': 'primary wins, guardrail flat', 'metrics': [
        {'name': 'converted', 'role': 'primary', 'direction': 'maximize', 'kind': 'proportion', 'champion': P(1000, 10000), 'challenger': P(1150, 10000)},
        {'name': 'latency_ms', 'role': 'guardrail', 'direction': 'minimize', 'kind': 'mean', 'champion': {'n': 10000, 'mean': 120.0, 'sd': 30.0}, 'challenger': {'n': 10000, 'mean': 120.3, 'sd': 30.0}}]},
    {'name': 'error rate: lower is better', 'metrics': [{'name': 'error', 'role': 'primary', 'direction': 'minimize', 'kind': 'proportion', 'champion': P(200, 2000), 'challenger': P(150, 2000)}]},
    {'name': 'per-unit values (Welch from raw data)', 'metrics': [{'name': 'basket', 'role': 'primary', 'direction': 'maximize', 'kind': 'mean',
        'champion': {'values': [12, 15, 11, 9, 14, 13, 10, 12, 16, 11, 13, 12, 14, 10, 9, 15]},
        'challenger': {'values': [14, 17, 13, 15, 18, 12, 16, 15, 19, 14, 13, 17, 16, 15]}}]},
    {'name': 'sequential GAVI on the canary win', 'options': {'challengerShare': 0.05, 'sequential': 'gavi'},
     'metrics': [{'name': 'converted', 'role': 'primary', 'direction': 'maximize', 'kind': 'proportion', 'champion': P(1900, 19000), 'challenger': P(140, 1000)}]},
    {'name': 'sequential GAVI is stricter than the fixed-horizon test', 'options': {'sequential': 'gavi'},
     'metrics': [{'name': 'converted', 'role': 'primary', 'direction': 'maximize', 'kind': 'proportion', 'champion': P(1000, 10000), 'challenger': P(1090, 10000)}]},
    {'name': 'sequential mSPRT', 'options': {'sequential': 'msprt'},
     'metrics': [{'name': 'converted', 'role': 'primary', 'direction': 'maximize', 'kind': 'proportion', 'champion': P(1000, 10000), 'challenger': P(1150, 10000)}]},
]


def enc(v):
    if isinstance(v, dict):
        return {k: enc(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, float) and not math.isfinite(v):
        return 'NaN' if math.isnan(v) else ('Infinity' if v > 0 else '-Infinity')
    return v


def main():
    import scipy
    out = {'meta': {'scipy': scipy.__version__, 'numpy': np.__version__, 'script': 'scripts/oracles/make_registry_ab_oracles.py'},
           'scenarios': [{**sc, 'expected': analyze(sc)} for sc in SCENARIOS]}
    with open(OUT, 'w') as f:
        json.dump(enc(out), f, indent=1)
        f.write('\n')
    for sc in out['scenarios']:
        e = sc['expected']
        print(f"{sc['name']}: {e['verdict']} (p={e['metrics'][0]['decisionPValue']:.3g}, srm p={e['srm']['pValue']:.3g})")


if __name__ == '__main__':
    main()
