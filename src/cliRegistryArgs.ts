/**
 * The command line of `mlsight registry …` and `mlsight ab …` (cliRegistry.ts, cliAb.ts): usage text, argument
 * parsing, number formatting and the exit codes of errors.
 */
import { Direction } from './core/registry/state';

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

export class UsageError extends Error {}

export type Out = (s: string) => void;

export interface Args {
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

export function parseArgs(argv: string[]): Args {
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

export function one(a: Args, name: string): string | undefined {
  const v = a.opts.get(name);
  if (v && v.length > 1) {
    throw new UsageError(`--${name} is given more than once`);
  }
  return v?.[0];
}
export function num(a: Args, name: string): number | undefined {
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
export function int(text: string | undefined, what: string): number {
  const x = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(x)) {
    throw new UsageError(`${what} must be a whole number (got ${JSON.stringify(text ?? '')})`);
  }
  return x;
}
export function direction(v: string | undefined): Direction | undefined {
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
export function json(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x), 2) + '\n';
}

export function fmtNum(x: number | null | undefined): string {
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

export function fail(e: unknown, err: Out): number {
  if (e instanceof UsageError) {
    err(`mlsight: ${e.message}\n\nusage:\n${REGISTRY_USAGE}`);
    return 2;
  }
  // RegistryError, StatsInputError and I/O errors: a sentence for the user
  err(`mlsight: ${e instanceof Error ? e.message : String(e)}\n`);
  return 1;
}
