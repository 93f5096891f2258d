import { Db } from '../store/db';
import { isFeatureImportance } from './format';
import { getRun, latestMetricsByRun, listExperiments, listRuns } from '../queries';
import { LivenessEnv, withLiveness } from './liveness';

/** A run as `mlsight runs --format json` prints it. Non-finite metric values are the strings "nan", "inf", "-inf". */
export interface CliRun {
  id: string;
  experiment: string;
  experimentId: string;
  name: string | null;
  status: string;
  /** why the status is not the log's: a RUNNING run whose process is gone is KILLED (liveness.ts) */
  statusNote?: string;
  source: string;
  startTime: string | null;
  endTime: string | null;
  params: Record<string, string>;
  metrics: Record<string, number | 'nan' | 'inf' | '-inf'>;
  tags: Record<string, string>;
  git: { commit: string | null; branch: string | null; dirty: boolean | null };
  datasets: { name: string; role: string; digest: string | null; rows: number | null }[];
}

export function jsonNumber(v: number): number | 'nan' | 'inf' | '-inf' {
  if (Number.isNaN(v)) {
    return 'nan';
  }
  if (v === Infinity) {
    return 'inf';
  }
  if (v === -Infinity) {
    return '-inf';
  }
  return v;
}

export function listRunsForCli(db: Db, folder?: string, env?: LivenessEnv): CliRun[] {
  const latest = latestMetricsByRun(db);
  const out: CliRun[] = [];
  for (const e of listExperiments(db)) {
    const runs = listRuns(db, e.id);
    const shown: ((typeof runs)[number] & { statusNote?: string })[] = folder
      ? withLiveness(db, folder, runs, env)
      : runs;
    for (const r of shown) {
      const d = getRun(db, r.id)!;
      out.push({
        id: r.id,
        experiment: e.name,
        experimentId: e.id,
        name: r.name,
        status: r.status,
        ...(r.statusNote ? { statusNote: r.statusNote } : {}),
        source: r.source,
        startTime: r.startTime ? new Date(r.startTime).toISOString() : null,
        endTime: r.endTime ? new Date(r.endTime).toISOString() : null,
        params: d.params,
        metrics: Object.fromEntries(Object.entries(latest.get(r.id) ?? {}).map(([k, v]) => [k, jsonNumber(v)])),
        tags: d.tags,
        git: { commit: d.gitCommit, branch: d.gitBranch, dirty: d.gitDirty },
        datasets: d.datasets,
      });
    }
  }
  return out;
}

/** A fixed-width table for people: experiment, name, status, source, up to three metrics. */
export function formatRunsTable(runs: readonly CliRun[]): string {
  if (!runs.length) {
    return 'no runs\n';
  }
  const keys = [...new Set(runs.flatMap(r => Object.keys(r.metrics)))].filter(k => !isFeatureImportance(k)).slice(0, 3);
  const fmt = (v: unknown) =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v === undefined ? '' : String(v);
  const rows = [
    ['experiment', 'name', 'status', 'source', 'commit', ...keys, 'id'],
    ...runs.map(r => [
      r.experiment,
      r.name ?? '',
      r.statusNote ? `${r.status}*` : r.status,
      r.source,
      r.git.commit ? r.git.commit.slice(0, 7) + (r.git.dirty ? '*' : '') : '',
      ...keys.map(k => fmt(r.metrics[k])),
      r.id,
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.min(40, Math.max(...rows.map(row => row[i].length))));
  const notes = runs
    .filter(r => r.statusNote)
    .map(r => `* ${r.name ?? r.id}: ${r.statusNote}\n`)
    .join('');
  return (
    rows
      .map(row =>
        row
          .map((c, i) => (c.length > widths[i] ? c.slice(0, widths[i] - 1) + '…' : c.padEnd(widths[i])))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') +
    '\n' +
    notes
  );
}
