/**
 * `mlsight registry …` and `mlsight ab …`: the model registry and the A/B analysis on the command line, over the
 * same core the extension uses. JSON on stdout with --format json; messages on stderr. Exit codes: 0 success,
 * 1 error, 2 usage error, 3 the gate or the A/B verdict says no (promote refused; ab --fail-unless-promote).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Logger } from './core/log';
import { rebuildFromWorkspace } from './core/rebuild';
import { AbAnalysis, AbMetricInput, AbOptions, analyzeAb } from './core/registry/abAnalysis';
import { metricData, parseCounts, parseMeanSummary, parseOutcomes } from './core/registry/abData';
import { GateResult, PromotionTarget, guessDirection } from './core/registry/gate';
import { GateFailedError, PromoteInput, Registry, RegistryError } from './core/registry/registry';
import { abOutcomesFile, analyseAttributedOutcomes } from './core/registry/abAttribution';
import { describeChain, readAuditLog, storedEvents } from './core/registry/auditLog';
import { Direction, ModelSettings } from './core/registry/state';
import { listRegistryModels, readCanary, readSettings, registryHistory } from './core/registry/views';
import { ingestWorkspace } from './core/ingest/scan';
import { ingestMlsightRuns } from './core/ingest/mlsightRunLog';
import { WorkspaceStore } from './core/store/store';

export const REGISTRY_USAGE = `  registry list [folder]             registered models (ML Sight's and MLflow's) with versions and aliases
  registry show <model>              versions, lineage, metrics, aliases, stages, tags, gate settings
  registry register <model> --run <run id> [--artifact <path>] [--description <text>] [--alias <a>]… [--tag k=v]…
  registry alias set <model> <alias> <version> [--reason <text>]
  registry alias delete <model> <alias> [--reason <text>]
  registry stage <model> <version> <None|Staging|Production|Archived> [--archive-existing] [--reason <text>]
  registry config <model> [--metric <m>] [--direction maximize|minimize] [--min-improvement <x>] [--relative]
                  [--guardrail <metric>[:minimize]]… [--protect <a,b>] [--require-ab] [--alpha <a>] [--power <p>]
                  [--target-lift <x>] [--share <challenger share>] [--sequential none|gavi|msprt]
  registry promote <model> <version> --reason <text> [--alias <a> | --stage Staging|Production [--archive-existing]]
                  [--override] [A/B data as for "ab"]
  registry undo <model> --reason <text>   undo the last promotion
  registry canary <model> --version <n> --share <0..1> [--reason <text>]   route a share of traffic to a challenger
  registry canary <model> --off [--reason <text>]                         end the canary
  registry history [model]           the audit log (events after a break of its hash chain are marked UNVERIFIED)
  registry verify                    checks the audit log's hash chain (exit 3 when it is broken, naming the first bad line)
     (registry commands take --folder <dir> (default .) and --format json|text)
  ab [outcomes.jsonl|csv] --metric <m> [--guardrail <g>]… [--champion 120/1000 --challenger 150/1000]
     [--champion-mean n:mean:sd --challenger-mean n:mean:sd] [--expected-share 0.05] [--model <name>]
     [--direction maximize|minimize] [--alpha] [--power] [--target-lift] [--sequential gavi|msprt]
     [--fail-unless-promote] [--format json|text]
`;

class UsageError extends Error {}

type Out = (s: string) => void;

interface Args {
  positional: string[];
  opts: Map<string, string[]>;
  flags: Set<string>;
}

const FLAGS = new Set(['archive-existing', 'override', 'relative', 'require-ab', 'fail-unless-promote', 'off']);
const VALUED = new Set([
  'format',
  'folder',
  'run',
  'artifact',
  'description',
  'alias',
  'tag',
  'reason',
  'metric',
  'direction',
  'min-improvement',
  'guardrail',
  'protect',
  'alpha',
  'power',
  'target-lift',
  'share',
  'sequential',
  'stage',
  'champion',
  'challenger',
  'champion-mean',
  'challenger-mean',
  'expected-share',
  'model',
  'outcomes',
  'version',
]);

function parseArgs(argv: string[]): Args {
  const a: Args = { positional: [], opts: new Map(), flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i];
    if (!t.startsWith('--') || t === '--') {
      a.positional.push(t);
      continue;
    }
    const eq = t.indexOf('=');
    const name = t.slice(2, eq > 0 ? eq : undefined);
    if (FLAGS.has(name)) {
      if (eq > 0) {
        throw new UsageError(`--${name} takes no value`);
      }
      a.flags.add(name);
      continue;
    }
    if (!VALUED.has(name)) {
      throw new UsageError(`unknown option --${name}`);
    }
    const v = eq > 0 ? t.slice(eq + 1) : argv[++i];
    if (v === undefined) {
      throw new UsageError(`--${name} needs a value`);
    }
    a.opts.set(name, [...(a.opts.get(name) ?? []), v]);
  }
  const f = one(a, 'format');
  if (f !== undefined && f !== 'json' && f !== 'text') {
    throw new UsageError(`--format must be json or text, not ${JSON.stringify(f)}`);
  }
  return a;
}

function one(a: Args, name: string): string | undefined {
  const v = a.opts.get(name);
  if (v && v.length > 1) {
    throw new UsageError(`--${name} is given more than once`);
  }
  return v?.[0];
}
function num(a: Args, name: string): number | undefined {
  const v = one(a, name);
  if (v === undefined) {
    return undefined;
  }
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x)) {
    throw new UsageError(`--${name} must be a number (got ${JSON.stringify(v)})`);
  }
  return x;
}
function int(text: string | undefined, what: string): number {
  const x = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(x)) {
    throw new UsageError(`${what} must be a whole number (got ${JSON.stringify(text ?? '')})`);
  }
  return x;
}
function direction(v: string | undefined): Direction | undefined {
  if (v === undefined) {
    return undefined;
  }
  const d = {
    max: 'maximize',
    maximize: 'maximize',
    higher: 'maximize',
    min: 'minimize',
    minimize: 'minimize',
    lower: 'minimize',
  }[v.toLowerCase()];
  if (!d) {
    throw new UsageError(`--direction must be maximize or minimize (got ${JSON.stringify(v)})`);
  }
  return d as Direction;
}

/** JSON with NaN/±Infinity as strings (JSON.stringify would print null). */
function json(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x), 2) + '\n';
}

async function withRegistry<T>(
  folderArg: string | undefined,
  log: Logger,
  fn: (r: Registry, store: WorkspaceStore, folder: string) => Promise<T>,
): Promise<T> {
  const folder = path.resolve(folderArg ?? '.');
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
    throw new RegistryError(`${folder} is not a folder`);
  }
  const store = await WorkspaceStore.open({
    folder,
    log,
    rebuild: s => rebuildFromWorkspace(s, log).then(() => undefined),
  });
  try {
    if (!store.readOnly) {
      await ingestMlsightRuns(store, log);
      try {
        await ingestWorkspace(store, log);
      } catch (e) {
        log.warn(`MLflow/TensorBoard runs not read: ${e instanceof Error ? e.message : e}`);
      }
    }
    const registry = new Registry({ store, log });
    await registry.sync();
    const chain = (await readAuditLog(folder)).chain;
    if (chain?.state === 'broken') {
      log.warn(describeChain(chain)!);
    }
    if (!store.readOnly) {
      // versions asked for by runs with log_model(..., registered_name=...), each registered once
      const req = await registry.registerRequested();
      for (const f of req.failed) {
        log.warn(`Could not register ${JSON.stringify(f.request.model)} from run ${f.request.runId}: ${f.message}`);
      }
    }
    return await fn(registry, store, folder);
  } finally {
    await store.close();
  }
}

function fmtNum(x: number | null | undefined): string {
  if (x === null || x === undefined) {
    return '—';
  }
  if (!Number.isFinite(x)) {
    return String(x);
  }
  return Number.isInteger(x)
    ? String(x)
    : Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3
      ? x.toExponential(3)
      : x
          .toPrecision(4)
          .replace(/(\.\d*?)0+$/, '$1')
          .replace(/\.$/, '');
}

// ---------------------------------------------------------------------------------------------------------------
// A/B

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

function abReport(r: AbAnalysis): Record<string, unknown> {
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

function fail(e: unknown, err: Out): number {
  if (e instanceof UsageError) {
    err(`mlsight: ${e.message}\n\nusage:\n${REGISTRY_USAGE}`);
    return 2;
  }
  // RegistryError, StatsInputError and I/O errors: a sentence for the user
  err(`mlsight: ${e instanceof Error ? e.message : String(e)}\n`);
  return 1;
}

/**
 * The A/B evidence of `registry promote`: counts or summaries as given; else the outcome file (`--outcomes`, by
 * default the model's own `.mlsight/ab/<model>.jsonl`) restricted to the two versions compared, inside their
 * canary window (abAttribution.ts).
 */
function promoteAb(
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

// ---------------------------------------------------------------------------------------------------------------
// registry

export async function registryMain(argv: string[], out: Out, err: Out, log: Logger): Promise<number> {
  try {
    const [sub, ...rest] = argv;
    const a = parseArgs(rest);
    const asJson = one(a, 'format') === 'json';
    const p = a.positional;
    const folder = one(a, 'folder');
    const print = (v: unknown, text: () => void) => {
      if (asJson) {
        out(json(v));
      } else {
        text();
      }
    };
    switch (sub) {
      case 'list':
        return await withRegistry(folder ?? p[0], log, async (_r, store) => {
          const models = store.read(db => listRegistryModels(db));
          print({ models }, () => {
            if (!models.length) {
              out('no registered models\n');
            }
            for (const m of models) {
              out(
                `${m.name}  (${m.versionCount} version${m.versionCount === 1 ? '' : 's'}${m.source !== 'mlsight' ? `, ${m.source}` : ''})  ${Object.entries(
                  m.aliases,
                )
                  .map(([k, v]) => `@${k}→v${v}`)
                  .join(' ')}\n`,
              );
            }
          });
          return 0;
        });
      case 'show': {
        if (p.length !== 1) {
          throw new UsageError('registry show <model>');
        }
        return await withRegistry(folder, log, async r => {
          const d = r.model(p[0]);
          if (!d) {
            throw new RegistryError(`There is no registered model named ${JSON.stringify(p[0])}.`);
          }
          print(d, () => {
            out(`${d.name} (${d.backend})${d.description ? ` — ${d.description}` : ''}\n`);
            out(
              `aliases: ${
                Object.entries(d.aliases)
                  .map(([k, v]) => `@${k}→v${v}`)
                  .join(' ') || 'none'
              }\n`,
            );
            if (d.settings.primaryMetric) {
              out(
                `gate: ${d.settings.primaryMetric} (${d.settings.direction ?? guessDirection(d.settings.primaryMetric)})${d.settings.minImprovement ? `, by ≥ ${d.settings.minImprovement}${d.settings.relativeImprovement ? ' relative' : ''}` : ''}\n`,
              );
            }
            for (const v of d.versions) {
              out(
                `  v${v.version}  ${v.stage}${v.aliases.length ? `  ${v.aliases.map(x => `@${x}`).join(' ')}` : ''}  run ${v.runName ?? v.runId ?? '—'}${v.gitCommit ? `  commit ${v.gitCommit.slice(0, 8)}` : ''}\n`,
              );
              const ms = Object.entries(v.metrics)
                .slice(0, 8)
                .map(([k, x]) => `${k}=${fmtNum(x)}`)
                .join(' ');
              if (ms) {
                out(`      ${ms}\n`);
              }
            }
          });
          return 0;
        });
      }
      case 'register': {
        if (p.length !== 1) {
          throw new UsageError('registry register <model> --run <run id>');
        }
        const runId = one(a, 'run');
        if (!runId) {
          throw new UsageError('--run <run id> is required');
        }
        const tags: Record<string, string> = {};
        for (const t of a.opts.get('tag') ?? []) {
          const i = t.indexOf('=');
          if (i <= 0) {
            throw new UsageError(`--tag takes key=value (got ${JSON.stringify(t)})`);
          }
          tags[t.slice(0, i)] = t.slice(i + 1);
        }
        return await withRegistry(folder, log, async r => {
          const res = await r.registerVersion({
            model: p[0],
            runId,
            artifactPath: one(a, 'artifact'),
            description: one(a, 'description'),
            tags,
            aliases: a.opts.get('alias'),
            reason: one(a, 'reason'),
          });
          print({ model: p[0], version: res.version, event: res.event }, () =>
            out(`registered ${p[0]} v${res.version}\n`),
          );
          return 0;
        });
      }
      case 'alias': {
        const [op, model, alias, version] = p;
        if (op === 'set' && p.length === 4) {
          const v = int(version, 'the version');
          return await withRegistry(folder, log, async r => {
            const e = await r.setAlias(model, alias, v, one(a, 'reason'));
            print({ changed: !!e, event: e ?? null }, () =>
              out(
                e
                  ? `@${alias} → v${v} (was ${e.from ? `v${e.from}` : 'unset'})\n`
                  : `@${alias} already points at v${v}\n`,
              ),
            );
            return 0;
          });
        }
        if (op === 'delete' && p.length === 3) {
          return await withRegistry(folder, log, async r => {
            const e = await r.deleteAlias(model, alias, one(a, 'reason'));
            print({ changed: !!e, event: e ?? null }, () => out(`@${alias} removed (was v${e?.from})\n`));
            return 0;
          });
        }
        throw new UsageError('registry alias set <model> <alias> <version> | registry alias delete <model> <alias>');
      }
      case 'stage': {
        if (p.length !== 3) {
          throw new UsageError('registry stage <model> <version> <stage>');
        }
        const v = int(p[1], 'the version');
        return await withRegistry(folder, log, async r => {
          const e = await r.setStage(p[0], v, p[2], {
            archiveExisting: a.flags.has('archive-existing'),
            reason: one(a, 'reason'),
          });
          print({ changed: !!e, event: e ?? null }, () =>
            out(
              e
                ? `v${v}: ${e.from} → ${e.to}${(e.evidence?.archived as number[] | undefined)?.length ? ` (archived ${(e.evidence!.archived as number[]).map(x => `v${x}`).join(', ')})` : ''}\n`
                : `v${v} already is in ${p[2]}\n`,
            ),
          );
          return 0;
        });
      }
      case 'config': {
        if (p.length !== 1) {
          throw new UsageError('registry config <model> [options]');
        }
        return await withRegistry(folder, log, async (r, store) => {
          const cur = store.read(db => readSettings(db, p[0]));
          const next: ModelSettings = { ...cur };
          const set = <K extends keyof ModelSettings>(k: K, v: ModelSettings[K] | undefined) => {
            if (v !== undefined) {
              next[k] = v;
            }
          };
          set('primaryMetric', one(a, 'metric'));
          set('direction', direction(one(a, 'direction')));
          set('minImprovement', num(a, 'min-improvement'));
          if (a.flags.has('relative')) {
            next.relativeImprovement = true;
          }
          if (a.flags.has('require-ab')) {
            next.requireAb = true;
          }
          const g = a.opts.get('guardrail');
          if (g) {
            next.guardrails = g.map(x => {
              const [metric, d] = x.split(':');
              return { metric, direction: direction(d) ?? guessDirection(metric) };
            });
          }
          const prot = one(a, 'protect');
          if (prot !== undefined) {
            next.protectedAliases = prot
              .split(',')
              .map(x => x.trim())
              .filter(Boolean);
          }
          set('alpha', num(a, 'alpha'));
          set('power', num(a, 'power'));
          set('targetLift', num(a, 'target-lift'));
          set('challengerShare', num(a, 'share'));
          const seq = one(a, 'sequential');
          if (seq !== undefined) {
            if (!['none', 'gavi', 'msprt'].includes(seq)) {
              throw new UsageError('--sequential must be none, gavi or msprt');
            }
            next.sequential = seq as ModelSettings['sequential'];
          }
          const e = await r.configure(p[0], next);
          print({ changed: !!e, settings: next }, () => out(`${p[0]}: ${JSON.stringify(next)}\n`));
          return 0;
        });
      }
      case 'promote': {
        if (p.length !== 2) {
          throw new UsageError('registry promote <model> <version> --reason <text>');
        }
        const v = int(p[1], 'the version');
        const reason = one(a, 'reason');
        if (!reason) {
          throw new UsageError('--reason <text> is required (it is recorded in the audit log)');
        }
        const stage = one(a, 'stage');
        const alias = one(a, 'alias');
        if (stage && alias) {
          throw new UsageError('give --alias or --stage, not both');
        }
        let target: PromotionTarget = { alias: alias ?? 'champion' };
        if (stage) {
          const s = ['Staging', 'Production'].find(x => x.toLowerCase() === stage.toLowerCase());
          if (!s) {
            throw new UsageError('--stage must be Staging or Production');
          }
          target = { stage: s as 'Staging' | 'Production', archiveExisting: a.flags.has('archive-existing') };
        }
        return await withRegistry(folder, log, async (r, store) => {
          const settings = store.read(db => readSettings(db, p[0]));
          const canary = store.read(db => readCanary(db, p[0]));
          const ab = promoteAb(a, r, store, folder, p[0], v, target, settings, canary?.share);
          const gateJson = (g: GateResult) => ({
            ...g,
            failed: g.checks.filter(c => !c.ok).map(c => ({ check: c.id, code: c.code, detail: c.detail })),
          });
          try {
            const res = await r.promote({
              model: p[0],
              version: v,
              target,
              reason,
              ab: ab ?? null,
              override: a.flags.has('override'),
            });
            print(
              {
                promoted: true,
                overridden: res.overridden,
                gate: gateJson(res.gate),
                event: res.event,
                ab: ab?.analysis ? abReport(ab.analysis) : null,
                abExcluded: ab?.excluded ?? null,
              },
              () => {
                out(
                  `${p[0]} v${v} is now ${'alias' in target ? `@${target.alias}` : target.stage}${res.overridden ? ' (gate overridden)' : ''}\n`,
                );
                for (const c of res.gate.checks) {
                  out(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.label}: ${c.detail}${c.ok ? '' : ` [${c.code}]`}\n`);
                }
              },
            );
            return 0;
          } catch (e) {
            if (!(e instanceof GateFailedError)) {
              throw e;
            }
            print(
              {
                promoted: false,
                gate: gateJson(e.gate),
                comparison: {
                  metric: e.comparison.metric,
                  champion: e.comparison.championValue,
                  challenger: e.comparison.challengerValue,
                },
                ab: ab?.analysis ? abReport(ab.analysis) : null,
                abExcluded: ab?.excluded ?? null,
              },
              () => {
                out(`not promoted: the gate failed (use --override with a --reason to promote anyway)\n`);
                for (const c of e.gate.checks) {
                  out(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.label}: ${c.detail}${c.ok ? '' : ` [${c.code}]`}\n`);
                }
              },
            );
            return 3;
          }
        });
      }
      case 'undo': {
        if (p.length !== 1) {
          throw new UsageError('registry undo <model> --reason <text>');
        }
        const reason = one(a, 'reason');
        if (!reason) {
          throw new UsageError('--reason <text> is required');
        }
        return await withRegistry(folder, log, async r => {
          const e = await r.undoLastPromotion(p[0], reason);
          print({ event: e }, () =>
            out(
              e.alias
                ? `@${e.alias} → ${e.to ? `v${e.to}` : 'unset'} (was v${e.from})\n`
                : `v${e.version}: ${e.from} → ${e.to}\n`,
            ),
          );
          return 0;
        });
      }
      case 'canary': {
        if (p.length !== 1) {
          throw new UsageError('registry canary <model> --version <n> --share <0..1> | registry canary <model> --off');
        }
        const off = a.flags.has('off');
        const version = one(a, 'version');
        const share = num(a, 'share');
        if (off && (version !== undefined || share !== undefined)) {
          throw new UsageError('--off takes no --version or --share');
        }
        if (!off && (version === undefined || share === undefined)) {
          throw new UsageError('registry canary <model> --version <n> --share <0..1> (or --off)');
        }
        if (!off && !(share! > 0 && share! < 1)) {
          throw new UsageError(
            '--share must be between 0 and 1, exclusive (0.05 routes 5 % of the traffic to the challenger)',
          );
        }
        const canary = off ? null : { challenger: int(version, 'the version'), share: share! };
        return await withRegistry(folder, log, async r => {
          const e = await r.setCanary(p[0], canary, one(a, 'reason'));
          print({ changed: !!e, canary, event: e ?? null }, () =>
            out(
              canary
                ? `${p[0]}: canary v${canary.challenger} gets ${(canary.share * 100).toFixed(2).replace(/\.?0+$/, '')} % of the traffic${e ? '' : ' (unchanged)'}\n`
                : `${p[0]}: no canary${e ? '' : ' (there was none)'}\n`,
            ),
          );
          return 0;
        });
      }
      case 'history': {
        if (p.length > 1) {
          throw new UsageError('registry history [model]');
        }
        return await withRegistry(folder, log, async (_r, store, root) => {
          const chain = (await readAuditLog(root)).chain!;
          const unverified = new Set(chain.unverified);
          const h = store
            .read(db => registryHistory(db, p[0]))
            .map(e => ({
              ...e,
              verified: chain.state === 'unchained' || chain.state === 'empty' ? null : !unverified.has(e.id),
            }));
          const warning = describeChain(chain);
          if (warning && chain.state === 'broken') {
            err(`mlsight: warning: ${warning}\n`);
          }
          print(
            {
              events: h,
              chain: {
                state: chain.state,
                firstBad: chain.firstBad ?? null,
                unverified: chain.unverified.length,
                message: warning ?? null,
              },
            },
            () => {
              for (const e of h) {
                out(
                  `${new Date(e.at).toISOString()}  ${e.actor}  ${e.action}  ${e.model}${e.version !== null ? ` v${e.version}` : ''}${e.alias ? ` @${e.alias}` : ''}${e.from !== null || e.to !== null ? `  ${e.from ?? '∅'} → ${e.to ?? '∅'}` : ''}${e.reason ? `  "${e.reason}"` : ''}${e.evidence?.override ? '  [override]' : ''}${unverified.has(e.id) ? '  [UNVERIFIED]' : ''}\n`,
                );
              }
              if (warning && chain.state !== 'broken') {
                out(`(${warning})\n`);
              }
            },
          );
          return 0;
        });
      }
      case 'verify': {
        // the audit log's hash chain: exit 0 when it verifies (or predates the chain), 3 when it is broken
        if (p.length) {
          throw new UsageError('registry verify');
        }
        const root = path.resolve(folder ?? '.');
        const chain = (await readAuditLog(root)).chain!;
        const message =
          describeChain(chain) ??
          (chain.state === 'empty'
            ? 'no audit log yet'
            : `.mlsight/audit.jsonl verifies (${chain.unverified.length} unverified events).`);
        print(
          {
            state: chain.state,
            firstBad: chain.firstBad ?? null,
            unverified: chain.unverified.length,
            unchained: chain.unchained,
            message,
          },
          () => out(`${message}\n`),
        );
        return chain.state === 'broken' ? 3 : 0;
      }
      default:
        throw new UsageError(`unknown registry command ${JSON.stringify(sub ?? '')}`);
    }
  } catch (e) {
    return fail(e, err);
  }
}
