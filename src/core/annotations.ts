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

export type Annotation =
  | { id: string; at: number; action: 'experiment.baseline'; experimentId: string; runId: string | null };

export function annotationsPath(folder: string): string { return path.join(folder, STORE_DIR, ANNOTATIONS_FILE); }

export function newAnnotation<A extends Omit<Annotation, 'id' | 'at'>>(a: A): Annotation {
  return { id: randomUUID(), at: Date.now(), ...a } as Annotation;
}

export async function appendAnnotation(folder: string, a: Annotation): Promise<void> {
  await fs.promises.mkdir(path.join(folder, STORE_DIR), { recursive: true });
  await appendLineDurably(annotationsPath(folder), JSON.stringify(a));
}

export async function readAnnotations(folder: string): Promise<{ annotations: Annotation[]; errors: { line: number; message: string }[] }> {
  let buf: Buffer;
  try { buf = await fs.promises.readFile(annotationsPath(folder)); } catch { return { annotations: [], errors: [] }; }
  const chunk = parseJsonl<Annotation>(buf);
  const annotations: Annotation[] = [];
  const errors = [...chunk.errors];
  for (const r of chunk.records) {
    const a = r.value;
    if (a && typeof a === 'object' && a.action === 'experiment.baseline' && typeof a.experimentId === 'string') { annotations.push(a); }
    else { errors.push({ line: r.line, message: 'not an annotation' }); }
  }
  return { annotations, errors };
}

/** Applies an annotation to the store (idempotent: later annotations win when replayed in order). */
export function applyAnnotation(db: Db, a: Annotation): void {
  switch (a.action) {
    case 'experiment.baseline':
      db.run('UPDATE experiments SET baseline_run_id = ? WHERE id = ?', [a.runId, a.experimentId]);
      break;
  }
}
