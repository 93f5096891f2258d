/**
 * `mlsight ab …`, and the A/B evidence of `mlsight registry promote`: builds the A/B analysis from outcome files,
 * counts or summaries and prints it (JSON with --format json).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Logger } from './core/log';
import { AbAnalysis, AbMetricInput, AbOptions, analyzeAb } from './core/registry/abAnalysis';
import { metricData, parseCounts, parseMeanSummary, parseOutcomes } from './core/registry/abData';
import { PromotionTarget, guessDirection } from './core/registry/gate';
import { PromoteInput } from './core/registry/promotion';
import { Registry } from './core/registry/registry';
import { RegistryError } from './core/registry/registryCore';
import { abOutcomesFile, analyseAttributedOutcomes } from './core/registry/abAttribution';
import { storedEvents } from './core/registry/auditLog';
import { ModelSettings } from './core/registry/state';
import { readCanary, readSettings } from './core/registry/views';
import { WorkspaceStore } from './core/store/store';
import { Args, Out, UsageError, direction, fail, fmtNum, json, num, one, parseArgs } from './cliRegistryArgs';

interface AbBuilt {
  analysis: AbAnalysis;
  source: Record<string, unknown>;
}

/** Builds the A/B analysis from the options shared by `ab` and `registry promote`; undefined when none were given. */
function buildAb(
  a: Args,
  file: string | undefined,
  defaults: { share?: number; settings?: ModelSettings },
): AbBuilt | undefined {
  const s = defaults.settings ?? {};
  const metric = one(a, 'metric') ?? s.primaryMetric;
  const counts = [one(a, 'champion'), one(a, 'challenger')];
  const means = [one(a, 'champion-mean'), one(a, 'challenger-mean')];
  const guardrailArgs = a.opts.get('guardrail') ?? [];
  if (!file && counts.every(x => x === undefined) && means.every(x => x === undefined)) {
    return undefined;
  }
  const metrics: AbMetricInput[] = [];
  const dir = direction(one(a, 'direction')) ?? s.direction;
  const source: Record<string, unknown> = {};
  if (file) {
    const text = fs.readFileSync(path.resolve(file), 'utf8');
    const table = parseOutcomes(text, {
      model: one(a, 'model'),
      format: /\.csv$/i.test(file) ? 'csv' : /\.jsonl?$/i.test(file) ? 'jsonl' : undefined,
    });
    const m = metric ?? (table.metrics.length === 1 ? table.metrics[0] : undefined);
    if (!m) {
      throw new UsageError(
        `say which metric decides with --metric (the file has ${table.metrics.map(x => JSON.stringify(x)).join(', ') || 'no metrics'})`,
      );
    }
    metrics.push({ name: m, role: 'primary', direction: dir ?? guessDirection(m), data: metricData(table, m) });
    const guards = guardrailArgs.length ? guardrailArgs : (s.guardrails ?? []).map(g => `${g.metric}:${g.direction}`);
    for (const g of guards) {
      const [name, d] = g.split(':');
      metrics.push({
        name,
        role: 'guardrail',
        direction: direction(d) ?? guessDirection(name),
        data: metricData(table, name),
      });
    }
    Object.assign(source, { kind: 'file', file: path.basename(file), rows: table.rows, skipped: table.skipped.length });
  } else {
    const name = metric ?? 'conversion';
    if (counts.some(x => x !== undefined)) {
      if (counts.some(x => x === undefined)) {
        throw new UsageError('give both --champion and --challenger (successes/n)');
      }
      metrics.push({
        name,
        role: 'primary',
        direction: dir ?? 'maximize',
        data: {
          kind: 'proportion',
          champion: parseCounts(counts[0]!, 'champion arm'),
          challenger: parseCounts(counts[1]!, 'challenger arm'),
        },
      });
      Object.assign(source, { kind: 'counts', champion: counts[0], challenger: counts[1] });
    } else {
      if (means.some(x => x === undefined)) {
        throw new UsageError('give both --champion-mean and --challenger-mean (n:mean:sd)');
      }
      metrics.push({
        name,
        role: 'primary',
        direction: dir ?? guessDirection(name),
        data: {
          kind: 'mean',
          champion: parseMeanSummary(means[0]!, 'champion arm'),
          challenger: parseMeanSummary(means[1]!, 'challenger arm'),
        },
      });
      Object.assign(source, { kind: 'summaries', champion: means[0], challenger: means[1] });
    }
    if (guardrailArgs.length) {
      throw new UsageError('guardrails need per-unit or aggregated data from a file');
    }
  }
  const share = num(a, 'expected-share') ?? num(a, 'share') ?? defaults.share ?? s.challengerShare ?? 0.5;
  const seq = one(a, 'sequential') ?? s.sequential;
  if (seq !== undefined && !['none', 'gavi', 'msprt'].includes(seq)) {
    throw new UsageError(`--sequential must be none, gavi or msprt (got ${JSON.stringify(seq)})`);
  }
  const options: AbOptions = {
    alpha: num(a, 'alpha') ?? s.alpha,
    power: num(a, 'power') ?? s.power,
    targetLift: num(a, 'target-lift') ?? s.targetLift,
    challengerShare: share,
    sequential: seq as AbOptions['sequential'],
  };
  return { analysis: analyzeAb(metrics, options), source };
}

export function abReport(r: AbAnalysis): Record<string, unknown> {
  return {
    verdict: r.verdict,
    headline: r.headline,
    reasons: r.reasons,
    options: r.options,
    srm: r.srm,
    metrics: r.metrics.map(m => ({
      name: m.name,
      role: m.role,
      direction: m.direction,
      test: m.test,
      arms: m.arms.map(x => ({
        name: x.name,
        n: x.n,
        mean: x.mean,
        ...(x.successes !== undefined ? { successes: x.successes } : { sd: x.sd }),
      })),
      statistic: m.statistic,
      df: m.df,
      pValue: m.pValue,
      difference: m.difference,
      ci: m.ci,
      lift: m.lift,
      sequential: m.sequential,
      outcome: m.outcome,
      power: m.power,
      mde: m.mde,
      mdeRelative: m.mdeRelative,
      requiredTotal: m.requiredTotal,
      moreNeeded: m.moreNeeded,
    })),
  };
}

function abText(r: AbAnalysis, out: Out): void {
  out(`${r.headline}\n`);
  for (const x of r.reasons.slice(1)) {
    out(`  ${x}\n`);
  }
  out(
    `sample ratio: challenger ${(r.srm.observedShare * 100).toFixed(2)} % of ${r.srm.counts[0] + r.srm.counts[1]} (planned ${(r.srm.expectedShare * 100).toFixed(2)} %), χ² p = ${fmtNum(r.srm.pValue)}${r.srm.mismatch ? '  MISMATCH' : ''}\n`,
  );
  for (const m of r.metrics) {
    out(`\n${m.role} ${m.name} (${m.direction}, ${m.test})\n`);
    for (const x of m.arms) {
      out(`  ${x.name.padEnd(10)} n=${x.n}  mean=${fmtNum(x.mean)}\n`);
    }
    out(
      `  difference ${fmtNum(m.difference)} [${fmtNum(m.ci[0])}, ${fmtNum(m.ci[1])}]  statistic ${fmtNum(m.statistic)}${m.df !== null ? ` (df ${fmtNum(m.df)})` : ''}  p = ${fmtNum(m.pValue)}\n`,
    );
    if (m.lift) {
      out(
        `  lift ${(m.lift.value * 100).toFixed(2)} % [${(m.lift.ci[0] * 100).toFixed(2)} %, ${(m.lift.ci[1] * 100).toFixed(2)} %]\n`,
      );
    }
    if (m.sequential) {
      out(`  sequential (${m.sequential.method}) always-valid p = ${fmtNum(m.sequential.pValue)}\n`);
    }
    out(
      `  power ${m.power === null ? '—' : `${(m.power * 100).toFixed(1)} %`}  MDE ${fmtNum(m.mde)}  needed ${m.requiredTotal ?? '—'} (${m.moreNeeded ?? '—'} more)  → ${m.outcome}\n`,
    );
  }
}

export async function abMain(argv: string[], out: Out, err: Out, log: Logger): Promise<number> {
  try {
    const a = parseArgs(argv);
    if (a.positional.length > 1) {
      throw new UsageError('ab takes at most one outcomes file');
    }
    const file = a.positional[0] ?? one(a, 'outcomes');
    let share: number | undefined;
    let settings: ModelSettings | undefined;
    const model = one(a, 'model');
    if (model && num(a, 'expected-share') === undefined) {
      // the canary share configured in the registry, when the model is known
      const folder = path.resolve(one(a, 'folder') ?? '.');
      if (fs.existsSync(path.join(folder, '.mlsight', 'mlsight.db'))) {
        const store = await WorkspaceStore.open({ folder, log });
        try {
          settings = store.read(db => readSettings(db, model));
          const canary = store.read(db => readCanary(db, model));
          share = canary?.share ?? settings.challengerShare;
        } finally {
          await store.close();
        }
      }
    }
    const built = buildAb(a, file, { share, settings });
    if (!built) {
      throw new UsageError(
        'give an outcomes file, or --champion/--challenger counts, or --champion-mean/--challenger-mean',
      );
    }
    if (one(a, 'format') === 'json') {
      out(json(abReport(built.analysis)));
    } else {
      abText(built.analysis, out);
    }
    return a.flags.has('fail-unless-promote') && built.analysis.verdict !== 'promote' ? 3 : 0;
  } catch (e) {
    return fail(e, err);
  }
}

/**
 * The A/B evidence of `registry promote`: counts or summaries as given; else the outcome file (`--outcomes`, by
 * default the model's own `.mlsight/ab/<model>.jsonl`) restricted to the two versions compared, inside their
 * canary window (abAttribution.ts).
 */
export function promoteAb(
  a: Args,
  r: Registry,
  store: WorkspaceStore,
  folderArg: string | undefined,
  model: string,
  version: number,
  target: PromotionTarget,
  settings: ModelSettings,
  share: number | undefined,
): NonNullable<PromoteInput['ab']> | undefined {
  const given = one(a, 'outcomes');
  if (!given && ['champion', 'challenger', 'champion-mean', 'challenger-mean'].some(k => one(a, k) !== undefined)) {
    const b = buildAb(a, undefined, { settings, share });
    return b ? { ...b, source: { ...b.source, attributed: false } } : undefined;
  }
  const root = path.resolve(folderArg ?? '.');
  const file = given ? path.resolve(given) : abOutcomesFile(root, model);
  if (!fs.existsSync(file)) {
    if (given) {
      throw new RegistryError(`${given}: no such file`);
    }
    return undefined;
  }
  const champion = r.preview(model, version, target).currentVersion;
  const events = store.read(db => storedEvents(db, model));
  const s = {
    ...settings,
    alpha: num(a, 'alpha') ?? settings.alpha,
    sequential: (one(a, 'sequential') as ModelSettings['sequential']) ?? settings.sequential,
  };
  const guards = a.opts.get('guardrail')?.map(g => g.split(':')[0]);
  const res = analyseAttributedOutcomes({
    folder: root,
    model,
    file,
    events,
    settings: s,
    champion,
    challenger: version,
    metric: one(a, 'metric'),
    guardrails: guards,
    share: num(a, 'expected-share') ?? num(a, 'share') ?? share ?? settings.challengerShare ?? 0.5,
  });
  if (!res) {
    return undefined;
  }
  if (!res.analysis && res.excluded.count === 0) {
    if (given) {
      throw new RegistryError(res.message ?? `${given} has no usable outcomes`);
    }
    return undefined;
  }
  // the model's own log, read by default: outcomes of other versions only mean there is no A/B data for these two
  const excluded = given ? res.excluded : { ...res.excluded, fromDefaultLog: true };
  return { analysis: res.analysis, source: { ...res.source, attributed: res.table.units !== null }, excluded };
}
