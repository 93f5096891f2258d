/**
 * Reading an mlruns tree's experiments and runs (in this thread or in a reader thread): what changed since the
 * last pass becomes work items (./work.ts).
 *
 * Metric files are append-only: their byte offsets are kept in ingest_state and only new complete lines are
 * read; a torn last line waits for the next pass. A file that shrank is read again from the start.
 */
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';
import {
  SOURCE_MLFLOW,
  StateRow,
  fileMtime,
  joinRel,
  mapLimit,
  problem,
  readDirOrEmpty,
  readDirSyncOrEmpty,
  readRangeSync,
  relPath,
  statOrUndefined,
  toIdString,
  toInt,
  toText,
} from '../common';
import { scanMetricBuffer } from '../metricLines';
import {
  ArtifactRecord,
  DatasetRecord,
  ExperimentRecord,
  RunRecord,
  TAG_DATASET_CONTEXT,
  TAG_RUN_NAME,
  datasetRecord,
  experimentDiffers,
  mlflowStatus,
  runFieldsFromTags,
} from '../rows';
import { FileEntry, listKeyFiles, openWithStat, readEntryText, statEntry } from './files';
import { mlflowExperimentId, mlflowRunId, parseMetaYaml } from './ids';
import { ExperimentContext, ExperimentListing, MetricChunk, ReaderContext, RunsToRead } from './work';
import { errorMessage } from '../../errors';

/** Bytes read from a metric file per step (a bigger file is read in several steps, each written separately). */
const METRIC_CHUNK = 4 * 1024 * 1024;
const MAX_BAD_LINES_LOGGED = 3;

async function readExperiment(
  ctx: ReaderContext,
  dirName: string,
  expAbs: string,
  expRel: string,
): Promise<ExperimentRecord | undefined> {
  const metaAbs = path.join(expAbs, 'meta.yaml');
  const metaRel = joinRel(expRel, 'meta.yaml');
  const st = await statOrUndefined(metaAbs);
  const prev = ctx.state.get(metaRel);
  const marker = (reason: string, level: 'warn' | 'error' = 'warn') => {
    const row: StateRow = {
      path: metaRel,
      offset: 0,
      size: st?.size ?? null,
      mtime_ms: st ? fileMtime(st) : null,
      line: -1,
      run_id: null,
    };
    if (prev && prev.line === -1 && prev.size === row.size && prev.mtime_ms === row.mtime_ms) {
      return undefined;
    } // already reported
    problem(
      ctx.log,
      ctx.counts,
      level,
      `MLflow: ${metaRel}: ${reason}; experiment ${dirName} and its runs are skipped.`,
    );
    ctx.batch.add({ kind: 'state', state: row });
    return undefined;
  };
  if (!st) {
    return marker('missing (not an MLflow experiment folder?)');
  }
  let meta: Record<string, unknown>;
  try {
    const text = await fs.promises.readFile(metaAbs, 'utf8');
    ctx.counts.filesRead++;
    ctx.counts.bytesRead += st.size;
    if (text.trim() === '') {
      return undefined;
    } // being written: MLflow itself retries an empty read
    meta = parseMetaYaml(text);
  } catch (e) {
    return marker(`not valid YAML (${errorMessage(e).split('\n')[0]})`);
  }
  const id = toIdString(meta.experiment_id);
  if (id !== undefined && id !== dirName) {
    return marker(`experiment_id ${id} does not match the folder name`);
  }
  const name = toText(meta.name);
  if (name === undefined) {
    return marker('has no experiment name');
  }
  if (prev && prev.line === -1) {
    ctx.batch.add({ kind: 'forgetState', forget: { prefix: metaRel } });
  }
  const exp: ExperimentRecord = {
    id: mlflowExperimentId(ctx.rootRel, dirName),
    name,
    source: SOURCE_MLFLOW,
    artifactLocation: toText(meta.artifact_location) ?? null,
    lifecycleStage: meta.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    createdAt: toInt(meta.creation_time) ?? null,
  };
  if (experimentDiffers(ctx.experiments.get(exp.id), exp)) {
    ctx.batch.add({ kind: 'experiment', exp });
  }
  return exp;
}

/** A folder that should have been a run (32-hex name or run sub-folders), to decide whether a missing meta.yaml is worth a warning. */
function looksLikeRun(name: string, abs: string): boolean {
  if (/^[0-9a-f]{32}$/i.test(name)) {
    return true;
  }
  return ['metrics', 'params'].some(n => fs.existsSync(path.join(abs, n)));
}

/** Reads the listed experiments (an experiment that cannot be read is skipped with its runs). */
export async function readExperiments(ctx: ReaderContext, listing: readonly ExperimentListing[]): Promise<RunsToRead> {
  const out: RunsToRead = [];
  for (const e of listing) {
    const exp = await readExperiment(ctx, e.name, e.expAbs, e.expRel);
    if (exp) {
      out.push({
        exp: { record: exp, expId: exp.id, mlflowExpId: e.name, expAbs: e.expAbs, expRel: e.expRel },
        names: e.runNames,
      });
    }
  }
  return out;
}

/** Reads runs in this thread. */
export async function readRuns(ctx: ReaderContext, runs: RunsToRead, concurrency: number): Promise<void> {
  for (const { exp, names } of runs) {
    await mapLimit(names, concurrency, name => readRun(ctx, exp, name));
  }
}

/** Reads the listed experiments and their runs (in this thread). */
export async function readListing(
  ctx: ReaderContext,
  listing: readonly ExperimentListing[],
  concurrency: number,
): Promise<void> {
  await readRuns(ctx, await readExperiments(ctx, listing), concurrency);
}

/** Lets the event loop run (other extensions, UI requests) at least every 25 ms of a long pass. */
async function maybeYield(ctx: ReaderContext): Promise<void> {
  const now = performance.now();
  if (now - ctx.lastYield < 25) {
    return;
  }
  await new Promise(resolve => setImmediate(resolve));
  ctx.lastYield = performance.now();
}

async function readRun(ctx: ReaderContext, exp: ExperimentContext, dirName: string): Promise<void> {
  const runAbs = path.join(exp.expAbs, dirName);
  const runRel = joinRel(exp.expRel, dirName);
  const metaRel = `${runRel}/meta.yaml`;
  const prev = ctx.state.get(metaRel);
  const runId = mlflowRunId(dirName);
  await maybeYield(ctx);
  let metaSt: fs.Stats | undefined;
  try {
    metaSt = fs.statSync(path.join(runAbs, 'meta.yaml'));
  } catch {
    metaSt = undefined;
  }
  if (!metaSt) {
    if (prev && prev.line === -1 && prev.size === null) {
      return;
    }
    if (looksLikeRun(dirName, runAbs)) {
      problem(ctx.log, ctx.counts, 'warn', `MLflow: ${metaRel}: missing; this run is skipped until it appears.`);
    }
    ctx.batch.add({
      kind: 'state',
      state: { path: metaRel, offset: 0, size: null, mtime_ms: null, line: -1, run_id: null },
    });
    return;
  }
  const owner = ctx.owners.get(runId);
  // A run seen for the first time is read whole: its files are stat'ed as they are opened.
  const firstRead = !prev && (!owner || owner === runRel);
  const [params, tags] = ['params', 'tags'].map(n => listKeyFiles(runAbs + path.sep + n, ctx.folder, !firstRead));
  const inputs = listKeyFiles(runAbs + path.sep + 'inputs', ctx.folder);
  const others = [...params, ...tags, ...inputs];
  // The run's fingerprint: meta.yaml, and the sizes and mtimes of its params, tags and inputs.
  const fingerprint = (): StateRow => {
    let mtime = fileMtime(metaSt);
    let size = 0;
    let files = 0;
    for (const f of others) {
      if (f.size < 0 && !statEntry(f)) {
        continue;
      } // vanished meanwhile
      if (f.mtime > mtime) {
        mtime = f.mtime;
      }
      size += f.size;
      files++;
    }
    return { path: metaRel, size: metaSt.size, mtime_ms: mtime, offset: size, line: files, run_id: runId };
  };
  const fp0 = firstRead ? undefined : fingerprint();
  const sameFp =
    !!prev &&
    !!fp0 &&
    prev.size === fp0.size &&
    prev.mtime_ms === fp0.mtime_ms &&
    prev.offset === fp0.offset &&
    prev.line === fp0.line;
  if (owner && owner !== runRel) {
    const fp = fp0!;
    if (prev && prev.line === -2 && prev.size === fp.size && prev.mtime_ms === fp.mtime_ms) {
      return;
    }
    ctx.counts.duplicateRuns++;
    ctx.log.info(
      `MLflow: run ${dirName} in ${runRel} is also in ${owner}; the copy in ${owner} is shown, this one is skipped.`,
    );
    ctx.batch.add({ kind: 'state', state: { ...fp, line: -2 } });
    return;
  }
  let record: RunRecord | undefined;
  if (!sameFp || !prev || prev.run_id !== runId || !owner) {
    const badMarker = (reason: string) => {
      const fp = fp0 ?? fingerprint();
      if (prev && prev.line === -1 && prev.size === fp.size && prev.mtime_ms === fp.mtime_ms) {
        return;
      }
      problem(
        ctx.log,
        ctx.counts,
        'warn',
        `MLflow: ${metaRel}: ${reason}; this run is skipped until the file changes.`,
      );
      ctx.batch.add({ kind: 'state', state: { ...fp, line: -1, run_id: null } });
    };
    let meta: Record<string, unknown>;
    try {
      const text = fs.readFileSync(path.join(runAbs, 'meta.yaml'), 'utf8');
      ctx.counts.filesRead++;
      ctx.counts.bytesRead += metaSt.size;
      if (text.trim() === '') {
        return;
      } // being rewritten; MLflow itself retries an empty read
      meta = parseMetaYaml(text);
    } catch (e) {
      badMarker(`not valid YAML (${errorMessage(e).split('\n')[0]})`);
      return;
    }
    const metaExp = toIdString(meta.experiment_id);
    if (metaExp !== undefined && metaExp !== exp.mlflowExpId) {
      badMarker(
        `experiment_id ${metaExp} does not match the experiment folder ${exp.mlflowExpId} (MLflow ignores such runs too)`,
      );
      return;
    }
    record = await buildRunRecord(ctx, exp, runAbs, runRel, runId, meta, params, tags, inputs);
  }
  // taken after the files were read (a first read stat'ed them as it opened them)
  const fp = fp0 ?? fingerprint();
  const metrics = listKeyFiles(runAbs + path.sep + 'metrics', ctx.folder, !firstRead);
  const chunks: MetricChunk[] = [];
  for (const f of metrics) {
    // a first read opens the file before it knows its size
    let fd = f.size < 0 ? openWithStat(f) : undefined;
    if (f.size < 0) {
      continue;
    } // vanished meanwhile
    const st = ctx.state.get(f.rel);
    // When the run is (re)read from scratch, metric files are too.
    const fresh = !!record && (!prev || prev.line < 0);
    let offset = fresh ? 0 : (st?.offset ?? 0);
    let line = fresh ? 0 : (st?.line ?? 0);
    let restart = false;
    if (f.size < offset) {
      offset = 0;
      line = 0;
      restart = true;
    }
    if (f.size === offset) {
      if (fd !== undefined) {
        fs.closeSync(fd);
      }
      continue;
    }
    // A fresh read replaces the run's metrics and offsets in the same write, so its first chunk expects 0.
    const expectedOffset = fresh ? 0 : (st?.offset ?? 0);
    // Synchronous reads: metric files are small and many, and a thread-pool round trip per call costs more
    // than the read itself. The pass yields to the event loop between runs (see readRun).
    if (fd === undefined) {
      try {
        fd = fs.openSync(f.abs, 'r');
      } catch {
        continue;
      }
    }
    try {
      let expected = expectedOffset;
      let badLogged = 0;
      let badTotal = 0;
      while (offset < f.size) {
        const want = Math.min(METRIC_CHUNK, f.size - offset);
        const buf = readRangeSync(fd, offset, want);
        ctx.counts.bytesRead += buf.length;
        let end = buf.lastIndexOf(0x0a);
        if (end < 0) {
          if (buf.length < METRIC_CHUNK) {
            break;
          } // a torn last line: wait for the rest
          problem(
            ctx.log,
            ctx.counts,
            'warn',
            `MLflow: ${f.rel}: a line longer than ${METRIC_CHUNK} bytes at byte ${offset}; the rest of this metric file is skipped.`,
          );
          end = buf.length - 1; // consume it all, so the warning is not repeated
        }
        const consumed = end + 1;
        const parsed = scanMetricBuffer(buf, consumed, line + 1);
        for (const b of parsed.bad) {
          badTotal++;
          if (badLogged++ < MAX_BAD_LINES_LOGGED) {
            problem(
              ctx.log,
              ctx.counts,
              'warn',
              `MLflow: ${f.rel}:${b.line}: not a metric line (${b.reason}): ${JSON.stringify(b.text.slice(0, 80))}; skipped.`,
            );
          }
        }
        offset += consumed;
        line += parsed.lines;
        chunks.push({
          fileRel: f.rel,
          key: f.key,
          expectedOffset: expected,
          restart: restart && expected === expectedOffset,
          state: { path: f.rel, offset, size: f.size, mtime_ms: f.mtime, line, run_id: runId },
          latest: parsed.latest,
          count: parsed.count,
        });
        expected = offset;
        if (consumed < buf.length && offset + (buf.length - consumed) >= f.size) {
          break;
        } // torn tail
      }
      if (badTotal > MAX_BAD_LINES_LOGGED) {
        problem(
          ctx.log,
          ctx.counts,
          'warn',
          `MLflow: ${f.rel}: ${badTotal - MAX_BAD_LINES_LOGGED} more lines that are not metric lines were skipped.`,
        );
      }
      ctx.counts.filesRead++;
    } finally {
      fs.closeSync(fd);
    }
  }
  if (chunks.length || record) {
    ctx.batch.add({ kind: 'run', runId, runRel, metaRel, exp: exp.record, record, metaState: fp, metrics: chunks });
  }
}

async function buildRunRecord(
  ctx: ReaderContext,
  exp: ExperimentContext,
  runAbs: string,
  runRel: string,
  runId: string,
  meta: Record<string, unknown>,
  params: FileEntry[],
  tags: FileEntry[],
  inputs: FileEntry[],
): Promise<RunRecord> {
  const readAll = async (files: FileEntry[]) => {
    const out: [string, string][] = [];
    for (const f of files) {
      const text = readEntryText(f);
      if (text === undefined) {
        continue;
      } // vanished meanwhile
      out.push([f.key, text]);
      ctx.counts.filesRead++;
      ctx.counts.bytesRead += f.size;
    }
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  };
  const paramKv = await readAll(params);
  const tagKv = await readAll(tags);
  const tagMap = new Map(tagKv);
  const runName = toText(meta.run_name) || tagMap.get(TAG_RUN_NAME) || null;
  const artifactDir = resolveArtifactDir(toText(meta.artifact_uri), runAbs);
  const artifacts = artifactDir ? await listArtifacts(ctx, artifactDir) : [];
  const datasets = await readInputs(exp, inputs);
  return {
    id: runId,
    experimentId: exp.expId,
    name: runName,
    status: mlflowStatus(meta.status),
    startTime: toInt(meta.start_time) ?? null,
    endTime: toInt(meta.end_time) ?? null,
    source: SOURCE_MLFLOW,
    sourcePath: runRel,
    ...runFieldsFromTags(tagMap),
    lifecycleStage: meta.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    params: paramKv,
    tags: tagKv,
    artifacts,
    datasets,
  };
}

/**
 * The run's artifact folder: the artifact_uri from meta.yaml when it is a local path that exists, else
 * `<run>/artifacts` (the mlruns tree was moved or copied from another machine). Remote URIs (s3://…) → the
 * local fallback if present, else nothing.
 */
export function resolveArtifactDir(uri: string | undefined, runAbs: string): string | undefined {
  const candidates: string[] = [];
  if (uri) {
    try {
      if (uri.startsWith('file:')) {
        candidates.push(fileURLToPath(uri));
      } else if (path.isAbsolute(uri)) {
        candidates.push(uri);
      }
    } catch {
      /* not a valid file URI */
    }
  }
  candidates.push(path.join(runAbs, 'artifacts'));
  for (const c of candidates) {
    try {
      if (fs.statSync(c).isDirectory()) {
        return c;
      }
    } catch {
      /* try the next */
    }
  }
  return undefined;
}

/**
 * Lists a run's artifacts: files with sizes, and a 'model' entry for each folder holding an MLmodel file.
 * `artifacts.path` is workspace-relative (absolute when the artifacts live outside the workspace), so the
 * Runs view can open it directly.
 */
async function listArtifacts(ctx: ReaderContext, dir: string): Promise<ArtifactRecord[]> {
  const out: ArtifactRecord[] = [];
  const queue: [string, number][] = [[dir, 0]];
  while (queue.length && out.length < ctx.maxArtifacts) {
    const [d, depth] = queue.shift()!;
    const entries = readDirSyncOrEmpty(d);
    if (d !== dir && entries.some(e => e.isFile() && e.name === 'MLmodel')) {
      out.push({ path: relPath(ctx.folder, d), kind: 'model', size: null });
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (out.length >= ctx.maxArtifacts) {
        break;
      }
      const abs = path.join(d, e.name);
      if (e.isDirectory()) {
        if (depth < 8) {
          queue.push([abs, depth + 1]);
        }
        continue;
      }
      if (!e.isFile()) {
        continue;
      }
      let size: number | null = null;
      try {
        size = fs.statSync(abs).size;
      } catch {
        /* vanished meanwhile */
      }
      out.push({ path: relPath(ctx.folder, abs), kind: 'file', size });
    }
  }
  return out;
}

/** Run inputs (`inputs/<id>/meta.yaml`) joined with the experiment's `datasets/<id>/meta.yaml`. */
async function readInputs(exp: ExperimentContext, inputs: FileEntry[]): Promise<DatasetRecord[]> {
  const metas = inputs.filter(f => f.key.endsWith('/meta.yaml') && f.key.split('/').length === 2);
  if (metas.length === 0) {
    return [];
  }
  // one read per experiment, shared by runs read concurrently (a half-filled map would drop their datasets)
  exp.datasets ??= (async () => {
    const map = new Map<string, Record<string, unknown>>();
    for (const d of await readDirOrEmpty(path.join(exp.expAbs, 'datasets'))) {
      if (!d.isDirectory()) {
        continue;
      }
      try {
        map.set(
          d.name,
          parseMetaYaml(await fs.promises.readFile(path.join(exp.expAbs, 'datasets', d.name, 'meta.yaml'), 'utf8')),
        );
      } catch {
        /* an unreadable dataset entry: its inputs are skipped */
      }
    }
    return map;
  })();
  const datasets = await exp.datasets;
  const out: DatasetRecord[] = [];
  for (const f of metas) {
    try {
      const input = parseMetaYaml(await fs.promises.readFile(f.abs, 'utf8'));
      // destination_id holds the dataset id (an MLflow bug, §8.4): the run is the folder the input sits in.
      const sourceId = toText(input.source_id);
      const ds = sourceId ? datasets.get(sourceId) : undefined;
      if (!ds) {
        continue;
      }
      const tags = input.tags && typeof input.tags === 'object' ? (input.tags as Record<string, unknown>) : {};
      const rec = datasetRecord(ds, toText(tags[TAG_DATASET_CONTEXT]) || 'input');
      if (rec) {
        out.push(rec);
      }
    } catch {
      /* skip a malformed input */
    }
  }
  return out;
}
