/**
 * Write-back of registry changes to MLflow FileStore models (`mlruns/models/<name>/`), in MLflow's own format, so
 * `MlflowClient().get_model_version_by_alias(...)` and `mlflow.pyfunc.load_model("models:/name@champion")` see
 * what ML Sight decided (formats-and-statistics.md §1.5, §8.5; MLflow `mlflow/store/model_registry/file_store.py`):
 *
 * - `aliases/<alias>` holds the version number as text, no newline (MLflow compares the contents as strings);
 * - after every alias change the model's `meta.yaml` gets a fresh `last_updated_timestamp` and `aliases` map
 *   (alias → version string) and each version's `meta.yaml` its `aliases` list, as MLflow itself refreshes them;
 * - a stage transition rewrites `version-<n>/meta.yaml` (`current_stage`, `last_updated_timestamp`); with
 *   archive-existing, the other versions in that (active) stage become `Archived`;
 * - deleted versions (`current_stage: Deleted_Internal`) cannot get an alias or a stage.
 *
 * Every file is replaced atomically (temporary file in the model folder, renamed into place), so MLflow never
 * reads a half-written alias; temporary names start with `.mlsight-`, which MLflow's listing never picks up
 * (only `version-*` folders and the files under `tags/` and `aliases/` are read). Unknown meta.yaml keys (MLflow 3
 * adds some) are kept as they are. ML Sight never writes `mlflow.db`: models read from it are read-only here.
 */
import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import * as YAML from 'yaml';
import { Db } from '../store/db';

export const DELETED_STAGE = 'Deleted_Internal';

export interface FileStoreModel {
  /** the mlruns folder */
  root: string;
  /** `<root>/models/<dir>` */
  dir: string;
  /** the model's name as MLflow knows it */
  name: string;
}

export type MlflowLocation =
  { kind: 'filestore'; model: FileStoreModel; sourceRel: string } | { kind: 'sqlite'; sourceRel: string };

/** Where an ingested MLflow model comes from (the ingester's ownership rows in ingest_state), if it is one. */
export function locateMlflowModel(db: Db, folder: string, model: string): MlflowLocation | undefined {
  const row = db.get<{ path: string }>(
    `SELECT path FROM ingest_state WHERE run_id = ? AND instr(path, '#model:') > 0 AND line >= 0 ORDER BY path LIMIT 1`,
    [model],
  );
  if (!row) {
    return undefined;
  }
  const i = row.path.indexOf('#model:');
  const sourceRel = row.path.slice(0, i);
  const dirName = row.path.slice(i + '#model:'.length);
  const abs = path.resolve(folder, sourceRel);
  let isDir = false;
  try {
    isDir = fs.statSync(abs).isDirectory();
  } catch {
    /* gone */
  }
  if (!isDir) {
    return { kind: 'sqlite', sourceRel };
  }
  return { kind: 'filestore', sourceRel, model: { root: abs, dir: path.join(abs, 'models', dirName), name: model } };
}

export class MlflowWritebackError extends Error {}

/** MLflow's rule for alias names (validation._validate_model_alias_name), used for every registry here. */
export function aliasNameProblem(alias: string): string | undefined {
  if (!alias) {
    return 'an alias cannot be empty';
  }
  if (alias.length > 255) {
    return 'an alias has at most 255 characters';
  }
  if (!/^[A-Za-z0-9_-]+$/.test(alias)) {
    return `"${alias}" is not a valid alias: use letters, digits, "_" and "-" only`;
  }
  if (alias.toLowerCase() === 'latest') {
    return '"latest" is reserved (it always means the newest version)';
  }
  if (/^v\d+$/i.test(alias)) {
    return `"${alias}" is reserved: it reads as a version number`;
  }
  return undefined;
}

async function writeAtomically(model: FileStoreModel, target: string, text: string): Promise<void> {
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  const tmp = path.join(model.dir, `.mlsight-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(tmp, 'w', 0o644);
    await handle.writeFile(text, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.promises.rename(tmp, target);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

async function readDoc(file: string): Promise<YAML.Document> {
  const text = await fs.promises.readFile(file, 'utf8');
  const doc = YAML.parseDocument(text, { intAsBigInt: true, uniqueKeys: false });
  if (doc.errors.length || !YAML.isMap(doc.contents)) {
    throw new MlflowWritebackError(`${file} is not a YAML mapping`);
  }
  return doc;
}

function docString(doc: YAML.Document): string {
  return doc.toString({ singleQuote: true, lineWidth: 0 });
}

export interface FileStoreVersion {
  version: number;
  stage: string;
  dir: string;
}

export interface FileStoreState {
  versions: Map<number, FileStoreVersion>;
  aliases: Map<string, number>;
}

/** Reads the versions (without deleted ones) and aliases of a FileStore model from its files. */
export async function readFileStoreModel(model: FileStoreModel): Promise<FileStoreState> {
  if (!fs.existsSync(path.join(model.dir, 'meta.yaml'))) {
    throw new MlflowWritebackError(`${model.dir} is not an MLflow registered model (no meta.yaml)`);
  }
  const versions = new Map<number, FileStoreVersion>();
  for (const d of await fs.promises.readdir(model.dir, { withFileTypes: true })) {
    const m = /^version-(\d+)$/.exec(d.name);
    if (!m || !d.isDirectory()) {
      continue;
    }
    try {
      const doc = await readDoc(path.join(model.dir, d.name, 'meta.yaml'));
      const stage = String(doc.get('current_stage') ?? 'None');
      if (stage === DELETED_STAGE) {
        continue;
      }
      versions.set(Number(m[1]), { version: Number(m[1]), stage, dir: path.join(model.dir, d.name) });
    } catch {
      /* unreadable version: not usable */
    }
  }
  const aliases = new Map<string, number>();
  const aliasDir = path.join(model.dir, 'aliases');
  for (const d of await fs.promises.readdir(aliasDir, { withFileTypes: true }).catch(() => [] as fs.Dirent[])) {
    if (!d.isFile()) {
      continue;
    }
    const v = Number((await fs.promises.readFile(path.join(aliasDir, d.name), 'utf8')).trim());
    if (Number.isInteger(v)) {
      aliases.set(d.name, v);
    }
  }
  return { versions, aliases };
}

/** Refreshes the `aliases` keys MLflow keeps in meta.yaml files (and the model's last_updated_timestamp). */
async function refreshMeta(model: FileStoreModel, now: number): Promise<void> {
  const state = await readFileStoreModel(model);
  const metaFile = path.join(model.dir, 'meta.yaml');
  const doc = await readDoc(metaFile);
  doc.set('last_updated_timestamp', now);
  const map: Record<string, string> = {};
  for (const [a, v] of [...state.aliases].sort((x, y) => x[0].localeCompare(y[0]))) {
    map[a] = String(v);
  }
  doc.set('aliases', doc.createNode(map));
  await writeAtomically(model, metaFile, docString(doc));
  for (const v of state.versions.values()) {
    const file = path.join(v.dir, 'meta.yaml');
    const vdoc = await readDoc(file);
    const want = [...state.aliases]
      .filter(([, n]) => n === v.version)
      .map(([a]) => a)
      .sort();
    const cur = vdoc.get('aliases');
    const have = YAML.isSeq(cur) ? cur.items.map(i => String(YAML.isScalar(i) ? i.value : i)) : [];
    if (have.length === want.length && have.every((a, i) => a === want[i])) {
      continue;
    }
    vdoc.set('aliases', vdoc.createNode(want));
    await writeAtomically(model, file, docString(vdoc));
  }
}

function assertVersion(state: FileStoreState, model: FileStoreModel, version: number): FileStoreVersion {
  const v = state.versions.get(version);
  if (!v) {
    throw new MlflowWritebackError(
      `MLflow model ${JSON.stringify(model.name)} has no version ${version} in ${model.dir}`,
    );
  }
  return v;
}

/** `MlflowClient().set_registered_model_alias(name, alias, version)` on a FileStore. */
export async function writeAlias(
  model: FileStoreModel,
  alias: string,
  version: number,
  now = Date.now(),
): Promise<void> {
  const problem = aliasNameProblem(alias);
  if (problem) {
    throw new MlflowWritebackError(problem);
  }
  const state = await readFileStoreModel(model);
  assertVersion(state, model, version);
  await writeAtomically(model, path.join(model.dir, 'aliases', alias), String(version));
  await refreshMeta(model, now);
}

/** `MlflowClient().delete_registered_model_alias(name, alias)` on a FileStore (no error when it is absent). */
export async function deleteAlias(model: FileStoreModel, alias: string, now = Date.now()): Promise<void> {
  const problem = aliasNameProblem(alias);
  if (problem) {
    throw new MlflowWritebackError(problem);
  }
  const file = path.join(model.dir, 'aliases', alias);
  if (!fs.existsSync(file)) {
    return;
  }
  await fs.promises.rm(file, { force: true });
  await refreshMeta(model, now);
}

const MLFLOW_STAGES = new Map(['None', 'Staging', 'Production', 'Archived'].map(s => [s.toLowerCase(), s]));

/**
 * `MlflowClient().transition_model_version_stage(name, version, stage, archive_existing_versions)` on a
 * FileStore. Returns the versions that were archived.
 */
export async function writeStage(
  model: FileStoreModel,
  version: number,
  stage: string,
  archiveExisting: boolean,
  now = Date.now(),
): Promise<number[]> {
  const canonical = MLFLOW_STAGES.get(stage.toLowerCase());
  if (!canonical) {
    throw new MlflowWritebackError(`"${stage}" is not an MLflow stage (None, Staging, Production, Archived)`);
  }
  if (archiveExisting && canonical !== 'Staging' && canonical !== 'Production') {
    throw new MlflowWritebackError(
      `archiving existing versions only applies to Staging and Production, not ${canonical}`,
    );
  }
  const state = await readFileStoreModel(model);
  const target = assertVersion(state, model, version);
  const archived: number[] = [];
  if (archiveExisting) {
    for (const v of state.versions.values()) {
      if (v.version === version || v.stage !== canonical) {
        continue;
      }
      const file = path.join(v.dir, 'meta.yaml');
      const doc = await readDoc(file);
      doc.set('current_stage', 'Archived');
      doc.set('last_updated_timestamp', now);
      await writeAtomically(model, file, docString(doc));
      archived.push(v.version);
    }
  }
  const file = path.join(target.dir, 'meta.yaml');
  const doc = await readDoc(file);
  doc.set('current_stage', canonical);
  doc.set('last_updated_timestamp', now);
  await writeAtomically(model, file, docString(doc));
  const meta = path.join(model.dir, 'meta.yaml');
  const mdoc = await readDoc(meta);
  mdoc.set('last_updated_timestamp', now);
  await writeAtomically(model, meta, docString(mdoc));
  return archived.sort((a, b) => a - b);
}

/** Sets several stages at once without archiving (undoing a stage promotion). */
export async function restoreStages(
  model: FileStoreModel,
  stages: Record<number, string>,
  now = Date.now(),
): Promise<void> {
  for (const [v, s] of Object.entries(stages)) {
    await writeStage(model, Number(v), s, false, now);
  }
}
