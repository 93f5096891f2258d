/**
 * The registry's serving view, `.mlsight/registry.json`: what Python serving code needs to pick a model without
 * a database — per model its aliases, its versions (stage, model file path, run, sha256) and its canary
 * (challenger version and traffic share, read by `mlsight.route`). Written atomically (temporary file + rename)
 * by the process that changed the registry, under the audit lock, and only when its content changes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { atomicWrite } from '../store/atomicFile';
import { Db } from '../store/db';
import { STORE_DIR } from '../store/store';
import { CanaryConfig } from './state';
import { getModelDetail, listRegistryModels } from './views';

export const REGISTRY_JSON = 'registry.json';
export const SERVING_VIEW_FORMAT = 1;

export interface ServingVersion {
  stage: string;
  /** where the version came from, as registered (a workspace-relative path, `runs:/…`, a `file:` URI …) */
  source: string | null;
  /** the model file or folder: workspace-relative (POSIX) when inside the workspace, else absolute; null when not a local path */
  path: string | null;
  run_id: string | null;
  sha256: string | null;
}

export interface ServingModel {
  /** alias → version */
  aliases: Record<string, number>;
  /** version number (as a string key) → version */
  versions: Record<string, ServingVersion>;
  canary: CanaryConfig | null;
}

export interface ServingView {
  format: number;
  note: string;
  models: Record<string, ServingModel>;
}

export function servingViewPath(folder: string): string {
  return path.join(folder, STORE_DIR, REGISTRY_JSON);
}

/** A version's model file as a path Python can open relative to the workspace (or absolute), if it is local. */
export function localModelPath(folder: string, source: string | null): string | null {
  if (!source) {
    return null;
  }
  let abs: string;
  if (/^file:/i.test(source)) {
    try {
      abs = fileURLToPath(source);
    } catch {
      return null;
    }
  } else if (/^[a-z][a-z0-9+.-]*:/i.test(source) && !/^[a-z]:[\\/]/i.test(source)) {
    return null; // runs:/, models:/, s3://, mlflow-artifacts:/ …
  } else {
    abs = path.resolve(folder, source);
  }
  const rel = path.relative(folder, abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : abs;
}

export function buildServingView(db: Db, folder: string): ServingView {
  const models: Record<string, ServingModel> = {};
  for (const summary of listRegistryModels(db)) {
    const m = getModelDetail(db, folder, summary.name);
    if (!m) {
      continue;
    }
    const versions: Record<string, ServingVersion> = {};
    for (const v of [...m.versions].sort((a, b) => a.version - b.version)) {
      versions[String(v.version)] = {
        stage: v.stage,
        source: v.sourceUri,
        path: localModelPath(folder, v.sourceUri),
        run_id: v.runId,
        sha256: v.artifact?.sha256 ?? null,
      };
    }
    models[m.name] = { aliases: m.aliases, versions, canary: m.canary };
  }
  return {
    format: SERVING_VIEW_FORMAT,
    note: 'Written by ML Sight from .mlsight/audit.jsonl whenever the registry changes; do not edit (use ML Sight or `mlsight registry`).',
    models,
  };
}

/**
 * Rewrites `.mlsight/registry.json` if its content differs from the registry's (atomically). Creates it only when
 * there is at least one model. Returns true when the file was written.
 */
export async function writeServingView(view: ServingView, folder: string): Promise<boolean> {
  const file = servingViewPath(folder);
  const text = JSON.stringify(view, null, 2) + '\n';
  let current: string | undefined;
  try {
    current = await fs.promises.readFile(file, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === text) {
    return false;
  }
  if (current === undefined && Object.keys(view.models).length === 0) {
    return false;
  }
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await atomicWrite(file, text);
  return true;
}
