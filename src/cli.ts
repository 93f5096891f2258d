#!/usr/bin/env node
import * as fs from 'fs';
import * as path from 'path';
import { streamLogger } from './core/log';
import { rebuildFromWorkspace } from './core/rebuild';
import { ingestMlsightRuns } from './core/ingest/mlsightRunLog';
import { ingestWorkspace } from './core/ingest/scan';
import { formatRunsTable, listRunsForCli } from './core/runs/cliRuns';
import { WorkspaceStore } from './core/store/store';
import { VERSION } from './core/version';
import { LINT_USAGE, LintUsageError, lintCommand } from './cliLint';
import { lintThreads } from './core/leakage/lintPool';
import { abMain } from './cliAb';
import { registryMain } from './cliRegistry';
import { REGISTRY_USAGE } from './cliRegistryArgs';
import { driftCli } from './cliDrift';
import { TEAM_USAGE, TeamUsageError, isTeamCommand, teamMain } from './cliTeam';

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
${TEAM_USAGE}  drift <reference> <current> [--target COL] [--prediction COL] [--time COL] [--format json|text] […]
                                     data, label and concept drift and a retrain verdict (mlsight drift --help);
                                     exit code 3 when drift is detected
`;

class UsageError extends Error {}

/**
 * `mlsight <command> [sub] --help`: the lines of USAGE about that command (and subcommand, when it has its own
 * lines). A line indented by two spaces starts a command; deeper-indented lines continue it, and a continuation
 * in parentheses is a note that applies to every subcommand. Undefined for a command USAGE does not know.
 */
export function commandUsage(cmd: string, sub?: string): string | undefined {
  const blocks: { words: string[]; lines: string[] }[] = [];
  const notes: string[] = [];
  let cur: { words: string[]; lines: string[] } | undefined;
  for (const line of USAGE.split('\n')) {
    if (/^ {2}\S/.test(line)) {
      cur = { words: line.trim().split(/\s+/), lines: [line] };
      blocks.push(cur);
    } else if (/^ {3,}\S/.test(line) && cur) {
      if (line.trim().startsWith('(')) {
        if (cur.words[0] === cmd) {
          notes.push(line);
        }
      } else {
        cur.lines.push(line);
      }
    } else {
      cur = undefined;
    }
  }
  const mine = blocks.filter(b => b.words[0] === cmd);
  if (mine.length === 0) {
    return undefined;
  }
  const subs = sub ? mine.filter(b => b.words[1] === sub) : [];
  return `usage:\n${(subs.length ? subs : mine)
    .flatMap(b => b.lines)
    .concat(notes)
    .join('\n')}\n`;
}

const isHelp = (a: string) => a === '--help' || a === '-h';

/** A folder argument that must exist (nothing is created for a mistyped path): exit 1 with a clear message. */
function existingFolder(arg: string | undefined): string {
  const folder = path.resolve(arg ?? '.');
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(folder);
  } catch {
    /* missing */
  }
  if (!st) {
    throw new Error(`no such folder: ${folder}`);
  }
  if (!st.isDirectory()) {
    throw new Error(`not a folder: ${folder}`);
  }
  return folder;
}

interface Parsed {
  positional: string[];
  format: 'json' | 'text';
}

function parse(args: string[]): Parsed {
  const positional: string[] = [];
  let format: 'json' | 'text' = 'text';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--format') {
      const f = args[++i];
      if (f !== 'json' && f !== 'text' && f !== 'table') {
        throw new UsageError(`--format must be json, text or table, not ${JSON.stringify(f)}`);
      }
      format = f === 'table' ? 'text' : f;
    } else if (a.startsWith('--format=')) {
      const f = a.slice(9);
      if (f !== 'json' && f !== 'text' && f !== 'table') {
        throw new UsageError(`--format must be json, text or table, not ${JSON.stringify(f)}`);
      }
      format = f === 'table' ? 'text' : f;
    } else if (a.startsWith('-')) {
      throw new UsageError(`unknown option ${a}`);
    } else {
      positional.push(a);
    }
  }
  return { positional, format };
}

export async function main(
  argv: string[],
  out: (s: string) => void = s => process.stdout.write(s),
  err: (s: string) => void = s => process.stderr.write(s),
): Promise<number> {
  const log = streamLogger(err, 'warn');
  const ingestOptions = { readerScript: workerScript };
  try {
    if (argv[0] === '--version' || argv[0] === '-v') {
      out(`${VERSION}\n`);
      return 0;
    }
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || (argv[0] === 'help' && argv.length === 1)) {
      out(USAGE);
      return argv.length === 0 ? 2 : 0;
    }
    const [cmd, ...rest] = argv;
    // `<command> [sub] --help` and `help <command> [sub]` print that command's usage and exit 0 (drift has its own)
    if (cmd === 'help' || (cmd !== 'drift' && rest.some(isHelp))) {
      const [c, s] = cmd === 'help' ? rest : [cmd, rest[0]];
      const u = commandUsage(c, s && !isHelp(s) ? s : undefined);
      if (u) {
        out(u);
        return 0;
      }
      if (cmd === 'help' && c === 'drift') {
        return await driftCli(['--help'], out, err);
      }
    }
    if (isTeamCommand(argv)) {
      return await teamMain(argv, out, err, log);
    }
    if (cmd === 'registry') {
      return await registryMain(rest, out, err, log);
    }
    if (cmd === 'ab') {
      return await abMain(rest, out, err, log);
    }
    if (cmd === 'drift') {
      return await driftCli(rest, out, err);
    }
    if (cmd === 'store') {
      const [sub, ...more] = rest;
      const p = parse(more);
      const folder = sub === 'info' || sub === 'rebuild' ? existingFolder(p.positional[0]) : '';
      if (sub === 'info') {
        const store = await WorkspaceStore.open({
          folder,
          log,
          rebuild: s => rebuildFromWorkspace(s, log, ingestOptions).then(() => undefined),
        });
        try {
          const info = store.info();
          if (p.format === 'json') {
            out(JSON.stringify(info, null, 2) + '\n');
          } else {
            out(
              `store: ${info.path}\nschema: ${info.schemaVersion} (expected ${info.expectedSchemaVersion})${info.readOnly ? ' read-only' : ''}\nsize: ${info.sizeBytes} bytes\n`,
            );
            for (const [t, n] of Object.entries(info.counts)) {
              out(`  ${t.padEnd(16)} ${n}\n`);
            }
          }
        } finally {
          await store.close();
        }
        return 0;
      }
      if (sub === 'rebuild') {
        const store = await WorkspaceStore.open({ folder, log });
        try {
          const r = await rebuildFromWorkspace(store, log, ingestOptions);
          await store.flush();
          out(
            p.format === 'json'
              ? JSON.stringify(r) + '\n'
              : `rebuilt: ${r.runs} runs, ${r.registryEvents} registry events\n`,
          );
        } finally {
          await store.close();
        }
        return 0;
      }
      throw new UsageError(`unknown store command ${JSON.stringify(sub ?? '')}`);
    }
    if (cmd === 'lint') {
      return await lintCommand(rest, out, err, workerScript ? { workerScript, threads: lintThreads() } : undefined);
    }
    if (cmd === 'runs') {
      const p = parse(rest);
      const folder = existingFolder(p.positional[0]);
      const store = await WorkspaceStore.open({
        folder,
        log,
        rebuild: s => rebuildFromWorkspace(s, log, ingestOptions).then(() => undefined),
      });
      try {
        await ingestMlsightRuns(store, log);
        await ingestWorkspace(store, log, ingestOptions);
        const runs = store.read(db => listRunsForCli(db, folder));
        if (p.format === 'json') {
          out(JSON.stringify({ folder, runs }, null, 2) + '\n');
        } else {
          out(formatRunsTable(runs));
        }
      } finally {
        await store.close();
      }
      return 0;
    }
    throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
  } catch (e) {
    if (e instanceof UsageError || e instanceof LintUsageError || e instanceof TeamUsageError) {
      err(`mlsight: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    err(`mlsight: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

/** The worker bundle next to this one (dist/worker.js) when this runs as the CLI; undefined when imported. */
let workerScript: string | undefined;

if (require.main === module) {
  workerScript = path.join(__dirname, 'worker.js');
  // a reader that stops early (`mlsight runs --format json | head`) closes the pipe: stop quietly, no stack trace
  const quiet = (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') {
      process.exit(process.exitCode ?? 0);
    }
    throw e;
  };
  process.stdout.on('error', quiet);
  process.stderr.on('error', quiet);
  main(process.argv.slice(2)).then(
    code => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`mlsight: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
