/**
 * The FileStore's model registry: mlruns/models/<name>/{meta.yaml, tags/, aliases/, version-<n>/{meta.yaml, tags/}}.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  SOURCE_MLFLOW,
  StateRow,
  joinRel,
  problem,
  readDirOrEmpty,
  stateRowsWithPrefix,
  toInt,
  toText,
} from '../common';
import { ModelRecord, ModelVersionRecord } from '../rows';
import { FileEntry, listKeyFiles } from './files';
import { mlflowRunId, parseMetaYaml } from './ids';
import { RootContext } from './work';
import { errorMessage } from '../../errors';

export async function ingestFileRegistry(ctx: RootContext): Promise<void> {
  const modelsAbs = path.join(ctx.rootAbs, 'models');
  const modelsRel = joinRel(ctx.rootRel, 'models');
  const ownerPrefix = `${ctx.rootRel}#model:`;
  const owned = ctx.store.read(db => stateRowsWithPrefix(db, ownerPrefix));
  const seen = new Set<string>();
  if (ctx.touches(modelsRel)) {
    for (const d of await readDirOrEmpty(modelsAbs)) {
      if (!d.isDirectory()) {
        continue;
      }
      const ownerPath = ownerPrefix + d.name;
      seen.add(ownerPath);
      const dirAbs = path.join(modelsAbs, d.name);
      const files = listKeyFiles(dirAbs, ctx.folder);
      const fp: StateRow = {
        path: ownerPath,
        size: files.length,
        mtime_ms: Math.max(0, ...files.map(f => f.mtime)),
        offset: files.reduce((a, f) => a + f.size, 0),
        line: 0,
        run_id: null,
      };
      const prev = owned.get(ownerPath);
      const same = prev && prev.size === fp.size && prev.mtime_ms === fp.mtime_ms && prev.offset === fp.offset;
      if (same && (prev.line === 0 || prev.line === -1)) {
        continue;
      } // unchanged (owned, or reported unreadable)
      let model: ModelRecord;
      try {
        model = await readFileModel(ctx, d.name, files);
      } catch (e) {
        problem(
          ctx.log,
          ctx.counts,
          'warn',
          `MLflow: ${joinRel(modelsRel, d.name)}: registered model not readable (${errorMessage(e).split('\n')[0]}); skipped until it changes.`,
        );
        ctx.batch.add({ kind: 'state', state: { ...fp, line: -1 } });
        continue;
      }
      fp.run_id = model.name;
      const conflict = ctx.store.read(db => {
        const cur = db.get<{ source: string }>('SELECT source FROM models WHERE name = ?', [model.name]);
        if (cur && cur.source !== SOURCE_MLFLOW) {
          return `a model named ${JSON.stringify(model.name)} is already in ML Sight's own registry`;
        }
        const other = db.get<{ path: string }>(
          `SELECT path FROM ingest_state WHERE run_id = ? AND instr(path, '#model:') > 0 AND path <> ? AND line >= 0`,
          [model.name, ownerPath],
        );
        return other
          ? `a model named ${JSON.stringify(model.name)} is already read from ${other.path.slice(0, other.path.indexOf('#model:'))}`
          : undefined;
      });
      if (conflict) {
        if (!(prev?.line === -2 && same)) {
          problem(
            ctx.log,
            ctx.counts,
            'warn',
            `MLflow: ${joinRel(modelsRel, d.name)}: ${conflict}; this registered model is not shown.`,
          );
          ctx.batch.add({ kind: 'state', state: { ...fp, line: -2 } });
        }
        continue;
      }
      ctx.batch.add({ kind: 'model', model, ownerPath, state: fp });
    }
  }
  for (const p of owned.keys()) {
    if (seen.has(p) || !ctx.touches(modelsRel)) {
      continue;
    }
    ctx.batch.add({ kind: 'deleteModel', ownerPath: p });
  }
}

async function readFileModel(ctx: RootContext, dirName: string, files: FileEntry[]): Promise<ModelRecord> {
  const read = async (f: FileEntry) => {
    ctx.counts.filesRead++;
    ctx.counts.bytesRead += f.size;
    return fs.promises.readFile(f.abs, 'utf8');
  };
  const metaFile = files.find(f => f.key === 'meta.yaml');
  if (!metaFile) {
    throw new Error('meta.yaml is missing');
  }
  const meta = parseMetaYaml(await read(metaFile));
  const name = toText(meta.name) ?? dirName;
  const tags: [string, string][] = [];
  const aliases: [string, number][] = [];
  const versionTags = new Map<number, [string, string][]>();
  const versions: ModelVersionRecord[] = [];
  for (const f of files) {
    const parts = f.key.split('/');
    if (parts[0] === 'tags' && parts.length > 1) {
      tags.push([parts.slice(1).join('/'), await read(f)]);
      continue;
    }
    if (parts[0] === 'aliases' && parts.length === 2) {
      // MLflow compares alias file contents as strings ("3"); tolerate a trailing newline when reading.
      const v = toInt((await read(f)).trim());
      if (v !== undefined) {
        aliases.push([parts[1], v]);
      }
      continue;
    }
    const vm = /^version-(\d+)$/.exec(parts[0]);
    if (!vm) {
      continue;
    }
    const n = Number(vm[1]);
    if (parts[1] === 'tags' && parts.length > 2) {
      const list = versionTags.get(n) ?? [];
      list.push([parts.slice(2).join('/'), await read(f)]);
      versionTags.set(n, list);
    } else if (parts[1] === 'meta.yaml' && parts.length === 2) {
      let vmeta: Record<string, unknown>;
      try {
        vmeta = parseMetaYaml(await read(f));
      } catch (e) {
        problem(
          ctx.log,
          ctx.counts,
          'warn',
          `MLflow: ${f.rel}: not valid YAML (${errorMessage(e).split('\n')[0]}); this model version is skipped.`,
        );
        continue;
      }
      const stage = toText(vmeta.current_stage) ?? 'None';
      if (stage === 'Deleted_Internal') {
        continue;
      }
      const runUuid = toText(vmeta.run_id);
      versions.push({
        version: toInt(vmeta.version) ?? n,
        runId: runUuid ? mlflowRunId(runUuid) : null,
        sourceUri: toText(vmeta.source) ?? null,
        gitCommit: null,
        description: toText(vmeta.description) || null,
        stage,
        status: toText(vmeta.status) ?? 'READY',
        createdAt: toInt(vmeta.creation_timestamp) ?? null,
        tags: [],
      });
    }
  }
  for (const v of versions) {
    v.tags = (versionTags.get(v.version) ?? []).sort();
  }
  versions.sort((a, b) => a.version - b.version);
  return {
    name,
    description: toText(meta.description) || null,
    createdAt: toInt(meta.creation_timestamp) ?? null,
    updatedAt: toInt(meta.last_updated_timestamp) ?? null,
    tags: tags.sort(),
    versions,
    aliases: aliases.sort(),
  };
}
