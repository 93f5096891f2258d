/**
 * Team mode on the command line: `mlsight db init`, `mlsight runs … --tracking-uri`, `mlsight sync` and
 * `mlsight registry list|show|promote|alias|undo … --tracking-uri`, over src/core/tracking. JSON on stdout with
 * --format json, messages on stderr. Exit codes: 0 success, 1 error, 2 usage error, 3 the gate refused a
 * promotion, 4 a conflict (someone else moved the alias, or changed an SQLite tracking file while ML Sight wrote to
 * it), 5 the database is read-only for ML Sight.
 */
import * as path from 'path';
import { Logger } from './core/log';
import { ingestMlsightRuns } from './core/ingest/mlsightRunLog';
import { formatRunsTable } from './core/runs/cliRuns';
import { WorkspaceStore } from './core/store/store';
import { rebuildFromWorkspace } from './core/rebuild';
import { openTrackingBackend } from './core/tracking/open';
import { PgBackend } from './core/tracking/postgres';
import { SqliteBackend } from './core/tracking/sqlite';
import { commitPromotion, moveTeamAlias, planPromotion, undoTeamPromotion } from './core/tracking/teamRegistry';
import { TrackingBackend, TrackingError } from './core/tracking/types';
import { buildSyncRun, listSyncableRuns, teamRunToCli } from './core/tracking/workspaceSync';

export const TEAM_USAGE = `  db init --tracking-uri URI [--artifact-root DIR]
                                     create MLflow 2.17's schema in an empty PostgreSQL database or a new SQLite file
  runs [folder] --tracking-uri URI [--experiment NAME]… [--max-results N] [--page-token T] [--format json|table]
                                     the team's runs (newest first, one page of N, default 1000)
  sync [folder] --tracking-uri URI [--run ID]… [--format json|text]
                                     write this workspace's ML Sight runs into the team backend (idempotent)
  registry list|show <model>|promote <model> <version> --alias A --reason R [--metric M] [--override]
           --tracking-uri URI        the team's registered models; promote moves an MLflow alias
  registry alias set <model> <alias> <version> | alias delete <model> <alias> | undo <model>  [--reason R]
           --tracking-uri URI        move or remove an alias outside the gate; undo the last promotion (--reason)
     (URI: postgresql://user@host:port/db — password from PGPASSWORD or ~/.pgpass —, sqlite:///mlflow.db
      (relative to the working directory; sqlite:////abs/path for an absolute one) or http(s):// MLflow
      server — MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD; default $MLFLOW_TRACKING_URI)
`;

export class TeamUsageError extends Error {}

type Out = (s: string) => void;

interface Args {
  positional: string[];
  opts: Map<string, string[]>;
  flags: Set<string>;
}

const FLAGS = new Set(['override']);
const VALUED = new Set([
  'tracking-uri',
  'format',
  'artifact-root',
  'experiment',
  'max-results',
  'page-token',
  'run',
  'alias',
  'reason',
  'metric',
  'folder',
]);

function parseArgs(argv: string[]): Args {
  const a: Args = { positional: [], opts: new Map(), flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i];
    if (!t.startsWith('--')) {
      a.positional.push(t);
      continue;
    }
    const eq = t.indexOf('=');
    const name = t.slice(2, eq > 0 ? eq : undefined);
    if (FLAGS.has(name)) {
      a.flags.add(name);
      continue;
    }
    if (!VALUED.has(name)) {
      throw new TeamUsageError(`unknown option --${name}`);
    }
    const v = eq > 0 ? t.slice(eq + 1) : argv[++i];
    if (v === undefined) {
      throw new TeamUsageError(`--${name} needs a value`);
    }
    a.opts.set(name, [...(a.opts.get(name) ?? []), v]);
  }
  return a;
}

const one = (a: Args, k: string) => a.opts.get(k)?.[a.opts.get(k)!.length - 1];

/** True when argv asks for a team command (`db …`, `sync …`, or any command with --tracking-uri). */
export function isTeamCommand(argv: readonly string[]): boolean {
  return (
    argv[0] === 'db' || argv[0] === 'sync' || argv.some(x => x === '--tracking-uri' || x.startsWith('--tracking-uri='))
  );
}

function uriOf(a: Args, env: NodeJS.ProcessEnv): string {
  const u = one(a, 'tracking-uri') ?? env.MLFLOW_TRACKING_URI;
  if (!u) {
    throw new TeamUsageError('--tracking-uri URI is required (or set MLFLOW_TRACKING_URI)');
  }
  return u;
}

function format(a: Args): 'json' | 'text' {
  const f = one(a, 'format') ?? 'text';
  if (f !== 'json' && f !== 'text' && f !== 'table') {
    throw new TeamUsageError(`--format must be json, text or table, not ${JSON.stringify(f)}`);
  }
  return f === 'json' ? 'json' : 'text';
}

export async function teamMain(
  argv: string[],
  out: Out,
  err: Out,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [cmd, ...rest] = argv;
  const a = parseArgs(rest);
  const uri = uriOf(a, env);
  const fmt = format(a);
  const backend = openTrackingBackend(uri, { env });
  try {
    if (cmd === 'db') {
      if (a.positional[0] !== 'init') {
        throw new TeamUsageError(`unknown db command ${JSON.stringify(a.positional[0] ?? '')} (db init)`);
      }
      if (!(backend instanceof PgBackend) && !(backend instanceof SqliteBackend)) {
        throw new TeamUsageError(
          'db init needs a postgresql:// or sqlite:/// URI (a tracking server creates its own schema)',
        );
      }
      const root = one(a, 'artifact-root') ?? path.resolve('mlruns');
      const created = await backend.initSchema(root);
      const s = await backend.schema();
      if (fmt === 'json') {
        out(
          JSON.stringify({ trackingUri: backend.displayUri, created, revision: s.revision, mlflow: s.mlflowVersions }) +
            '\n',
        );
      } else {
        out(
          `${created ? 'created' : 'already there:'} MLflow schema ${s.revision} (${s.mlflowVersions}) in ${backend.displayUri}\n`,
        );
      }
      return 0;
    }
    if (cmd === 'runs') {
      return await teamRuns(backend, a, fmt, out);
    }
    if (cmd === 'sync') {
      return await teamSync(backend, a, fmt, out, err, log);
    }
    if (cmd === 'registry') {
      return await teamRegistry(backend, a, fmt, out, err);
    }
    throw new TeamUsageError(`${cmd} does not take --tracking-uri`);
  } catch (e) {
    if (e instanceof TrackingError) {
      err(`mlsight: ${e.message}\n`);
      return e.code === 'CONFLICT' ? 4 : e.code === 'READ_ONLY' ? 5 : 1;
    }
    throw e;
  } finally {
    await backend.close();
  }
}

async function teamRuns(b: TrackingBackend, a: Args, fmt: 'json' | 'text', out: Out): Promise<number> {
  const max = Number(one(a, 'max-results') ?? 1000);
  if (!Number.isInteger(max) || max < 1 || max > 100_000) {
    throw new TeamUsageError('--max-results must be an integer from 1 to 100000');
  }
  const exps = await b.listExperiments();
  const byId = new Map(exps.map(e => [e.id, e]));
  const names = a.opts.get('experiment');
  let ids: string[] | undefined;
  if (names) {
    ids = names.map(n => {
      const e = exps.find(x => x.name === n);
      if (!e) {
        throw new TrackingError('NOT_FOUND', `no experiment ${JSON.stringify(n)} in ${b.displayUri}`);
      }
      return e.id;
    });
  }
  const runs = [];
  let token: string | null = one(a, 'page-token') ?? null;
  do {
    const page = await b.searchRuns({
      experimentIds: ids,
      pageSize: Math.min(1000, max - runs.length),
      pageToken: token,
    });
    runs.push(...page.runs.map(r => teamRunToCli(r, byId)));
    token = page.nextPageToken;
  } while (token && runs.length < max);
  if (fmt === 'json') {
    const folder = path.resolve(a.positional[0] ?? '.');
    out(JSON.stringify({ folder, trackingUri: b.displayUri, runs, nextPageToken: token }, null, 2) + '\n');
  } else {
    out(formatRunsTable(runs));
  }
  return 0;
}

async function teamSync(
  b: TrackingBackend,
  a: Args,
  fmt: 'json' | 'text',
  out: Out,
  err: Out,
  log: Logger,
): Promise<number> {
  const folder = path.resolve(a.positional[0] ?? '.');
  const schema = await b.schema();
  if (!schema.writable) {
    throw new TrackingError('READ_ONLY', `${b.displayUri}: ${schema.readOnlyReason}`);
  }
  const store = await WorkspaceStore.open({
    folder,
    log,
    rebuild: s => rebuildFromWorkspace(s, log).then(() => undefined),
  });
  let conflicts = 0;
  const results: {
    id: string;
    runUuid?: string;
    created?: boolean;
    metricsWritten?: number;
    error?: string;
    incomplete?: string[];
  }[] = [];
  try {
    await ingestMlsightRuns(store, log);
    const refs = store.read(db => listSyncableRuns(db, a.opts.get('run')));
    for (const want of a.opts.get('run') ?? []) {
      if (!refs.some(r => r.id === want)) {
        results.push({ id: want, error: 'no such ML Sight run in this workspace' });
      }
    }
    for (const ref of refs) {
      try {
        const built = await buildSyncRun(store, ref);
        if (built.incomplete.length) {
          err(
            `mlsight: run ${ref.id}: its run log is gone; only the store's copy of ${built.incomplete.join(', ')} is synced\n`,
          );
        }
        const r = await b.syncRun(built.run);
        results.push({
          id: ref.id,
          runUuid: r.runUuid,
          created: r.created,
          metricsWritten: r.metricsWritten,
          incomplete: built.incomplete,
        });
      } catch (e) {
        if (
          e instanceof TrackingError &&
          (e.code === 'UNAVAILABLE' || e.code === 'UNAUTHORIZED' || e.code === 'READ_ONLY')
        ) {
          throw e;
        }
        conflicts += e instanceof TrackingError && e.code === 'CONFLICT' ? 1 : 0;
        results.push({ id: ref.id, error: e instanceof Error ? e.message : String(e) });
        err(`mlsight: run ${ref.id} not synced: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    }
  } finally {
    await store.close();
  }
  const failed = results.filter(r => r.error).length;
  if (fmt === 'json') {
    out(
      JSON.stringify(
        { folder, trackingUri: b.displayUri, runs: results, synced: results.length - failed, failed },
        null,
        2,
      ) + '\n',
    );
  } else {
    for (const r of results) {
      out(
        r.error
          ? `failed   ${r.id}: ${r.error}\n`
          : `${r.created ? 'created' : 'updated'}  ${r.id}  (${r.metricsWritten} new metric points)\n`,
      );
    }
    out(`${results.length - failed} run(s) synced to ${b.displayUri}${failed ? `, ${failed} failed` : ''}\n`);
  }
  // a conflict (another writer changed the database meanwhile; try again) keeps its own exit code, 4
  return failed ? (conflicts ? 4 : 1) : 0;
}

async function teamRegistry(b: TrackingBackend, a: Args, fmt: 'json' | 'text', out: Out, err: Out): Promise<number> {
  const [sub, ...pos] = a.positional;
  const json = (v: unknown) => out(JSON.stringify(v, null, 2) + '\n');
  if (sub === 'list') {
    const models = await b.listModels();
    if (fmt === 'json') {
      json({ trackingUri: b.displayUri, models });
    } else {
      if (!models.length) {
        out('no registered models\n');
      }
      for (const m of models) {
        const al = Object.entries(m.aliases)
          .map(([k, v]) => `${k}→v${v}`)
          .join(', ');
        out(`${m.name}  ${m.versions.length} version(s)${al ? `  ${al}` : ''}\n`);
      }
    }
    return 0;
  }
  if (sub === 'show') {
    if (!pos[0]) {
      throw new TeamUsageError('registry show <model> --tracking-uri URI');
    }
    const m = await b.getModel(pos[0]);
    if (!m) {
      throw new TrackingError(
        'NOT_FOUND',
        `registered model ${JSON.stringify(pos[0])} does not exist in ${b.displayUri}`,
      );
    }
    if (fmt === 'json') {
      json(m);
    } else {
      out(`${m.name}${m.description ? ` — ${m.description}` : ''}\n`);
      for (const v of m.versions) {
        out(
          `  v${v.version}  ${v.stage}  run ${v.runId ?? '-'}${v.aliases.length ? `  [${v.aliases.join(', ')}]` : ''}\n`,
        );
      }
    }
    return 0;
  }
  if (sub === 'promote') {
    const [model, ver] = pos;
    const alias = one(a, 'alias');
    const reason = one(a, 'reason');
    if (!model || !ver || !/^\d+$/.test(ver) || !alias || !reason) {
      throw new TeamUsageError(
        'registry promote <model> <version> --alias A --reason R [--metric M] [--override] --tracking-uri URI',
      );
    }
    const plan = await planPromotion(b, model, Number(ver), alias, one(a, 'metric'));
    if (!plan.evidence.passes && !a.flags.has('override')) {
      if (fmt === 'json') {
        json({ promoted: false, gate: plan.evidence });
      }
      err(
        `mlsight: the promotion gate did not pass: ${plan.evidence.reason} (use --override with --reason to promote anyway)\n`,
      );
      return 3;
    }
    const { result, event } = await commitPromotion(b, plan, { reason, override: a.flags.has('override') });
    if (fmt === 'json') {
      json({ promoted: true, ...result, gate: plan.evidence, event });
    } else {
      out(
        `${model}@${alias}: ${result.from === null ? 'unset' : `v${result.from}`} → v${result.to} (${plan.evidence.reason})\n`,
      );
    }
    return 0;
  }
  if (sub === 'alias') {
    // where the alias points now is what this command decides on: a move by someone else meanwhile is a conflict
    const [op, model, alias, ver] = pos;
    if (!(op === 'set' && pos.length === 4 && /^\d+$/.test(ver)) && !(op === 'delete' && pos.length === 3)) {
      throw new TeamUsageError(
        'registry alias set <model> <alias> <version> | registry alias delete <model> <alias> [--reason R] --tracking-uri URI',
      );
    }
    const m = await b.getModel(model);
    if (!m) {
      throw new TrackingError(
        'NOT_FOUND',
        `registered model ${JSON.stringify(model)} does not exist in ${b.displayUri}`,
      );
    }
    const version = op === 'set' ? Number(ver) : null;
    const expectedVersion = m.aliases[alias] ?? null;
    if (version === expectedVersion) {
      const why = version === null ? `${model} has no alias @${alias}` : `@${alias} already points at v${version}`;
      if (fmt === 'json') {
        json({ changed: false, message: why });
      } else {
        out(`${why}\n`);
      }
      return 0;
    }
    const { result, event } = await moveTeamAlias(b, {
      model,
      alias,
      version,
      expectedVersion,
      reason: one(a, 'reason'),
    });
    if (fmt === 'json') {
      json({ changed: true, ...result, event });
    } else {
      out(
        `${model}@${alias}: ${result.from === null ? 'unset' : `v${result.from}`} → ${result.to === null ? 'removed' : `v${result.to}`}\n`,
      );
    }
    return 0;
  }
  if (sub === 'undo') {
    const reason = one(a, 'reason');
    if (pos.length !== 1 || !reason) {
      throw new TeamUsageError('registry undo <model> --reason R --tracking-uri URI');
    }
    const { result, event, undone } = await undoTeamPromotion(b, pos[0], { reason });
    if (fmt === 'json') {
      json({ changed: true, ...result, event, undone });
    } else {
      out(
        `${pos[0]}@${result.alias}: v${result.from} → ${result.to === null ? 'unset' : `v${result.to}`} (undid the promotion by ${undone.actor})\n`,
      );
    }
    return 0;
  }
  throw new TeamUsageError(
    `unknown team registry command ${JSON.stringify(sub ?? '')} (list, show, promote, alias, undo)`,
  );
}
