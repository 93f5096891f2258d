import * as fs from 'fs';
import * as path from 'path';
import { randomUUID } from 'crypto';
import { appendLineDurably } from './store/atomicFile';
import { Db } from './store/db';
import { parseJsonl } from './jsonl';
import { STORE_DIR } from './store/store';

/**
 * User decisions about runs and experiments that are not in any run's own files (the experiment's baseline
 * run, …) live in the append-only `.mlsight/annotations.jsonl`, so a rebuilt store keeps them. The store holds
 * their projection.
 */
export const ANNOTATIONS_FILE = 'annotations.jsonl';

export type Annotation = { id: string; at: number } & AnnotationBody;

export type AnnotationBody =
  | { action: 'experiment.baseline'; experimentId: string; runId: string | null }
  | { action: 'run.star'; runId: string; starred: boolean }
  | { action: 'run.rename'; runId: string; name: string | null }
  | { action: 'run.note'; runId: string; note: string | null }
  | { action: 'run.tag'; runId: string; key: string; value: string | null }
  | { action: 'run.trash'; runId: string; trashed: boolean };

const ACTIONS = new Set(['experiment.baseline', 'run.star', 'run.rename', 'run.note', 'run.tag', 'run.trash']);

function isAnnotation(a: unknown): a is Annotation {
  if (!a || typeof a !== 'object') {
    return false;
  }
  const x = a as Record<string, unknown>;
  if (typeof x.id !== 'string' || typeof x.at !== 'number' || !ACTIONS.has(String(x.action))) {
    return false;
  }
  if (x.action === 'experiment.baseline') {
    return typeof x.experimentId === 'string';
  }
  if (typeof x.runId !== 'string') {
    return false;
  }
  switch (x.action) {
    case 'run.star':
      return typeof x.starred === 'boolean';
    case 'run.trash':
      return typeof x.trashed === 'boolean';
    case 'run.rename':
      return x.name === null || typeof x.name === 'string';
    case 'run.note':
      return x.note === null || typeof x.note === 'string';
    case 'run.tag':
      return typeof x.key === 'string' && x.key.length > 0 && (x.value === null || typeof x.value === 'string');
  }
  return false;
}

export function annotationsPath(folder: string): string {
  return path.join(folder, STORE_DIR, ANNOTATIONS_FILE);
}

export function newAnnotation(a: AnnotationBody): Annotation {
  return { id: randomUUID(), at: Date.now(), ...a };
}

export async function appendAnnotation(folder: string, a: Annotation): Promise<void> {
  await fs.promises.mkdir(path.join(folder, STORE_DIR), { recursive: true });
  await appendLineDurably(annotationsPath(folder), JSON.stringify(a));
}

export async function readAnnotations(
  folder: string,
): Promise<{ annotations: Annotation[]; errors: { line: number; message: string }[] }> {
  let buf: Buffer;
  try {
    buf = await fs.promises.readFile(annotationsPath(folder));
  } catch {
    return { annotations: [], errors: [] };
  }
  const chunk = parseJsonl<unknown>(buf);
  const annotations: Annotation[] = [];
  const errors = [...chunk.errors];
  for (const r of chunk.records) {
    if (isAnnotation(r.value)) {
      annotations.push(r.value);
    } else {
      errors.push({ line: r.line, message: 'not an annotation' });
    }
  }
  return { annotations, errors };
}

/** Applies an annotation to the store (idempotent: each sets a value, so replaying in order converges). */
export function applyAnnotation(db: Db, a: Annotation): void {
  const ensure = (runId: string) => db.run('INSERT OR IGNORE INTO run_annotations (run_id) VALUES (?)', [runId]);
  switch (a.action) {
    case 'experiment.baseline':
      db.run('UPDATE experiments SET baseline_run_id = ? WHERE id = ?', [a.runId, a.experimentId]);
      break;
    case 'run.star':
      ensure(a.runId);
      db.run('UPDATE run_annotations SET starred = ? WHERE run_id = ?', [a.starred ? 1 : 0, a.runId]);
      break;
    case 'run.rename':
      ensure(a.runId);
      db.run('UPDATE run_annotations SET name = ? WHERE run_id = ?', [
        a.name && a.name.trim() ? a.name.trim() : null,
        a.runId,
      ]);
      break;
    case 'run.note':
      ensure(a.runId);
      db.run('UPDATE run_annotations SET note = ? WHERE run_id = ?', [
        a.note && a.note.trim() ? a.note : null,
        a.runId,
      ]);
      break;
    case 'run.trash':
      ensure(a.runId);
      db.run('UPDATE run_annotations SET trashed_at = ? WHERE run_id = ?', [a.trashed ? a.at : null, a.runId]);
      break;
    case 'run.tag':
      if (a.value === null) {
        db.run('DELETE FROM user_tags WHERE run_id = ? AND key = ?', [a.runId, a.key]);
      } else {
        db.run(
          'INSERT INTO user_tags (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT(run_id, key) DO UPDATE SET value = excluded.value',
          [a.runId, a.key, a.value],
        );
      }
      break;
  }
}

/** Appends an annotation durably, then applies it to the store and waits until it is on disk. */
export async function annotate(
  store: { folder: string; writeNow(m: (db: Db) => void): Promise<void> },
  body: AnnotationBody,
): Promise<Annotation> {
  const a = newAnnotation(body);
  await appendAnnotation(store.folder, a);
  await store.writeNow(db => applyAnnotation(db, a));
  return a;
}
