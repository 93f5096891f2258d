/**
 * Statistics core for drift monitoring and A/B testing: pure functions on typed arrays, no I/O and no `vscode`.
 * Each module documents the definition it implements and the tool whose semantics it follows (scipy, numpy,
 * Evidently, NannyML, GrowthBook). Reference values: test/unit/fixtures/stats-oracles.json, made by
 * scripts/oracles/make_stats_oracles.py.
 */
export * from './errors';
export * from './sample';
export * from './special';
export * from './distributions';
export * from './ksdist';
export * from './ks';
export * from './binning';
export * from './drift';
export * from './nannyml';
export * from './abtest';
export * from './multiple';
export * from './quantilePsi';
