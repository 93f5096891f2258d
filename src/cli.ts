#!/usr/bin/env node
import * as path from 'path';
import { streamLogger } from './core/log';
import { rebuildFromWorkspace } from './core/rebuild';
import { ingestMlsightRuns } from './core/runs/ingestMlsight';
import { ingestWorkspace } from './core/ingest/scan';
import { READER_THREAD_ARG, serveMlflowReader } from './core/ingest/mlflowFileStore';
import { isMainThread, parentPort, workerData } from 'worker_threads';
import { formatRunsTable, listRunsForCli } from './core/runs/cliRuns';
import { WorkspaceStore } from './core/store/store';
import { VERSION } from './core/version';
import { LINT_USAGE, LintUsageError, lintCommand } from './cliLint';
import { REGISTRY_USAGE, abMain, registryMain } from './cliRegistry';
import { driftCli } from './cliDrift';

/** `mlsight`: the command-line face of the same core the extension uses. JSON on stdout, messages on stderr. */
const USAGE = `usage: mlsight <command> [options]

commands:
  --version                          print the version
  store info [folder] [--format json|text]
                                     where the store is, its schema version and row counts
  store rebuild [folder]             rebuild the store from the workspace's run logs and audit log
${LINT_USAGE}
  runs [folder] [--format json|table]
                                     every run from ML Sight, MLflow (mlruns/, mlflow.db) and TensorBoard:
                                     id, experiment, name, status, source, params, latest metrics, tags,
                                     git commit/dirty, datasets (reads new files first)
${REGISTRY_USAGE}
  drift <reference> <current> [--target COL] [--prediction COL] [--time COL] [--format json|text] […]
                                     data, label and concept drift and a retrain verdict (mlsight drift --help);
                                     exit code 3 when drift is detected
`;

class UsageError extends Error {}

interface Parsed { positional: string[]; format: 'json' | 'text' }

function parse(args: string[]): Parsed {
  const positional: string[] = [];
  let format: 'json' | 'text' = 'text';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--format') {
      const f = args[++i];
      if (f !== 'json' && f !== 'text' && f !== 'table') { throw new UsageError(`--format must be json, text or table, not ${JSON.stringify(f)}`); }
      format = f === 'table' ? 'text' : f;
    } else if (a.startsWith('--format=')) {
      const f = a.slice(9);
      if (f !== 'json' && f !== 'text' && f !== 'table') { throw new UsageError(`--format must be json, text or table, not ${JSON.stringify(f)}`); }
      format = f === 'table' ? 'text' : f;
    } else if (a.startsWith('-')) {
      throw new UsageError(`unknown option ${a}`);
    } else { positional.push(a); }
  }
  return { positional, format };
}

export async function main(argv: string[], out: (s: string) => void = s => process.stdout.write(s), err: (s: string) => void = s => process.stderr.write(s)): Promise<number> {
  const log = streamLogger(err, 'warn');
  if (argv[0] === READER_THREAD_ARG && !isMainThread && parentPort) { await serveMlflowReader(parentPort, workerData); return 0; }
  const ingestOptions = { readerScript: selfScript };
  try {
    if (argv[0] === '--version' || argv[0] === '-v') { out(`${VERSION}\n`); return 0; }
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') { out(USAGE); return argv.length === 0 ? 2 : 0; }
    const [cmd, ...rest] = argv;
    if (cmd === 'registry') { return await registryMain(rest, out, err, log); }
    if (cmd === 'ab') { return await abMain(rest, out, err, log); }
    if (cmd === 'drift') { return await driftCli(rest, out, err); }
    if (cmd === 'store') {
      const [sub, ...more] = rest;
      const p = parse(more);
      const folder = path.resolve(p.positional[0] ?? '.');
      if (sub === 'info') {
        const store = await WorkspaceStore.open({ folder, log, rebuild: s => rebuildFromWorkspace(s, log, ingestOptions).then(() => undefined) });
        try {
          const info = store.info();
          if (p.format === 'json') { out(JSON.stringify(info, null, 2) + '\n'); }
          else {
            out(`store: ${info.path}\nschema: ${info.schemaVersion} (expected ${info.expectedSchemaVersion})${info.readOnly ? ' read-only' : ''}\nsize: ${info.sizeBytes} bytes\n`);
            for (const [t, n] of Object.entries(info.counts)) { out(`  ${t.padEnd(16)} ${n}\n`); }
          }
        } finally { await store.close(); }
        return 0;
      }
      if (sub === 'rebuild') {
        const store = await WorkspaceStore.open({ folder, log });
        try {
          const r = await rebuildFromWorkspace(store, log, ingestOptions);
          await store.flush();
          out(p.format === 'json' ? JSON.stringify(r) + '\n' : `rebuilt: ${r.runs} runs, ${r.registryEvents} registry events\n`);
        } finally { await store.close(); }
        return 0;
      }
      throw new UsageError(`unknown store command ${JSON.stringify(sub ?? '')}`);
    }
    if (cmd === 'lint') { return await lintCommand(rest, out, err); }
    if (cmd === 'runs') {
      const p = parse(rest);
      const folder = path.resolve(p.positional[0] ?? '.');
      const store = await WorkspaceStore.open({ folder, log, rebuild: s => rebuildFromWorkspace(s, log, ingestOptions).then(() => undefined) });
      try {
        await ingestMlsightRuns(store, log);
        await ingestWorkspace(store, log, ingestOptions);
        const runs = store.read(db => listRunsForCli(db, folder));
        if (p.format === 'json') { out(JSON.stringify({ folder, runs }, null, 2) + '\n'); }
        else { out(formatRunsTable(runs)); }
      } finally { await store.close(); }
      return 0;
    }
    throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
  } catch (e) {
    if (e instanceof UsageError || e instanceof LintUsageError) { err(`mlsight: ${e.message}\n\n${USAGE}`); return 2; }
    err(`mlsight: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

/** This bundle's file when it runs as the CLI (it then also serves reader threads); undefined when imported. */
let selfScript: string | undefined;

if (require.main === module) {
  selfScript = __filename;
  main(process.argv.slice(2)).then(code => { process.exitCode = code; });
}
