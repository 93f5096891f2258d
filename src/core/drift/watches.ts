/**
 * Saved drift watches: report configurations kept in the workspace's `.mlsight/drift-watches.json`
 * ({"version": 1, "watches": [{name, reference, current, target, prediction, time, driftShare?, thresholds?}]}),
 * re-run by the extension when their files change. Paths inside the workspace folder are stored relative to it
 * (posix separators), others absolute. The file is written atomically; a file that cannot be parsed is never
 * overwritten (readWatchFile reports it, saveWatch/removeWatch refuse). No `vscode` import.
 */
import * as fs from 'fs';
import * as path from 'path';
import { atomicWrite } from '../store/atomicFile';
import { DriftMethod } from './types';

export const WATCHES_FILE = 'drift-watches.json';
export const WATCHES_FORMAT = 1;
const METHODS: readonly DriftMethod[] = ['ks', 'chisquare', 'z', 'psi', 'wasserstein', 'jensenshannon'];

export interface DriftWatch {
  /** unique within the file; shown in the status bar */
  name: string;
  /** file-system paths (absolute once read) */
  reference: string;
  current: string;
  target: string | null;
  prediction: string | null;
  time: string | null;
  /** overrides of mlsight.drift.driftShare / mlsight.drift.threshold.* for this watch */
  driftShare?: number;
  thresholds?: Partial<Record<DriftMethod, number>>;
}

export class WatchFileError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'WatchFileError';
  }
}

/** `.mlsight/drift-watches.json` of a workspace folder. */
export function watchesFile(folder: string): string {
  return path.join(folder, '.mlsight', WATCHES_FILE);
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** A watch from JSON (undefined when it lacks a name or a file); paths resolved against `folder`. */
export function parseWatch(v: unknown, folder: string): DriftWatch | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    return undefined;
  }
  const o = v as Record<string, unknown>;
  const name = str(o.name)?.trim();
  const reference = str(o.reference);
  const current = str(o.current);
  if (!name || !reference || !current) {
    return undefined;
  }
  const w: DriftWatch = {
    name,
    reference: path.resolve(folder, reference),
    current: path.resolve(folder, current),
    target: str(o.target),
    prediction: str(o.prediction),
    time: str(o.time),
  };
  if (typeof o.driftShare === 'number' && o.driftShare > 0 && o.driftShare <= 1) {
    w.driftShare = o.driftShare;
  }
  if (o.thresholds && typeof o.thresholds === 'object') {
    const t: Partial<Record<DriftMethod, number>> = {};
    for (const m of METHODS) {
      const x = (o.thresholds as Record<string, unknown>)[m];
      if (typeof x === 'number' && Number.isFinite(x) && x >= 0) {
        t[m] = x;
      }
    }
    if (Object.keys(t).length) {
      w.thresholds = t;
    }
  }
  return w;
}

function stored(p: string, folder: string): string {
  const rel = path.relative(folder, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : p;
}

function serialise(w: DriftWatch, folder: string): Record<string, unknown> {
  const o: Record<string, unknown> = {
    name: w.name,
    reference: stored(w.reference, folder),
    current: stored(w.current, folder),
    target: w.target,
    prediction: w.prediction,
    time: w.time,
  };
  if (w.driftShare !== undefined) {
    o.driftShare = w.driftShare;
  }
  if (w.thresholds && Object.keys(w.thresholds).length) {
    o.thresholds = w.thresholds;
  }
  return o;
}

export interface WatchFileContent {
  watches: DriftWatch[];
  /** why the file could not be read (it is then left alone); entries skipped as invalid are in `skipped` */
  error?: string;
  skipped: number;
}

/** Reads a folder's watches. A missing file is no watches; a malformed one gives `error` and no watches. */
export async function readWatchFile(folder: string): Promise<WatchFileContent> {
  const file = watchesFile(folder);
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return { watches: [], skipped: 0 };
    }
    return { watches: [], skipped: 0, error: `cannot read ${file}: ${(e as Error).message}` };
  }
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\ufeff/, ''));
  } catch (e) {
    return {
      watches: [],
      skipped: 0,
      error: `${file} is not valid JSON (${(e as Error).message}); fix or delete it — ML Sight will not overwrite it`,
    };
  }
  const list =
    data && typeof data === 'object' && !Array.isArray(data) ? (data as { watches?: unknown }).watches : undefined;
  if (!Array.isArray(list)) {
    return {
      watches: [],
      skipped: 0,
      error: `${file} has no "watches" list; fix or delete it — ML Sight will not overwrite it`,
    };
  }
  const watches: DriftWatch[] = [];
  const names = new Set<string>();
  let skipped = 0;
  for (const item of list) {
    const w = parseWatch(item, folder);
    if (!w || names.has(w.name)) {
      skipped++;
      continue;
    }
    names.add(w.name);
    watches.push(w);
  }
  return { watches, skipped };
}

async function rewrite(folder: string, change: (watches: DriftWatch[]) => DriftWatch[]): Promise<DriftWatch[]> {
  const content = await readWatchFile(folder);
  if (content.error) {
    throw new WatchFileError(content.error, watchesFile(folder));
  }
  const next = change(content.watches);
  const file = watchesFile(folder);
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await atomicWrite(
    file,
    JSON.stringify({ version: WATCHES_FORMAT, watches: next.map(w => serialise(w, folder)) }, null, 2) + '\n',
  );
  return next;
}

/** Adds a watch, or replaces the one with its name. Throws WatchFileError when the file exists but is malformed. */
export function saveWatch(folder: string, watch: DriftWatch): Promise<DriftWatch[]> {
  const w = parseWatch(serialise(watch, folder), folder);
  if (!w) {
    return Promise.reject(new Error('a drift watch needs a name, a reference file and a current file'));
  }
  return rewrite(folder, ws => {
    const i = ws.findIndex(x => x.name === w.name);
    return i < 0 ? [...ws, w] : ws.map((x, k) => (k === i ? w : x));
  });
}

/** Removes the watch with this name (no-op when absent). Throws WatchFileError when the file is malformed. */
export function removeWatch(folder: string, name: string): Promise<DriftWatch[]> {
  return rewrite(folder, ws => ws.filter(x => x.name !== name));
}
