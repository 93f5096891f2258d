import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { guessRoles, isDataFile, loggedDatasets, readColumnNames } from '../core/drift';
import { Logger } from '../core/log';
import { StoreManager } from '../workspace/storeManager';
import { DriftConfig } from './contract';

const DATA_GLOB = '**/*.{csv,tsv,tab,parquet,pq,jsonl,ndjson,csv.gz,tsv.gz,jsonl.gz,ndjson.gz}';
const EXCLUDE_GLOB = '**/{node_modules,.git,.venv,venv,env,site-packages,.mlsight,dist,out}/**';

interface FileItem extends vscode.QuickPickItem {
  file?: string;
  browse?: boolean;
}

/** Data files to pick from: datasets logged by runs (training data first), then the workspace's data files. */
export async function dataFileItems(
  stores: StoreManager,
  log: Logger,
  exclude?: string,
  predictions = false,
): Promise<FileItem[]> {
  const items: FileItem[] = [];
  const seen = new Set<string>();
  if (predictions) {
    // prediction logs of the Python logger (mlsight.log_prediction), for the current data
    const logs = (await vscode.workspace.findFiles('**/.mlsight/predictions/*.jsonl', '**/node_modules/**', 200))
      .map(u => u.fsPath)
      .filter(f => f !== exclude)
      .sort();
    if (logs.length) {
      items.push({ label: 'Prediction logs', kind: vscode.QuickPickItemKind.Separator });
    }
    for (const f of logs) {
      seen.add(f);
      items.push({
        label: `$(pulse) ${path.basename(f, '.jsonl')}`,
        description: 'predictions logged by mlsight.log_prediction',
        detail: vscode.workspace.asRelativePath(f),
        file: f,
      });
    }
  }
  let logged = false;
  for (const folder of stores.folders()) {
    try {
      const rows = (await stores.get(folder)).read(db => loggedDatasets(db, 200));
      for (const r of rows) {
        const file = path.isAbsolute(r.path) ? r.path : path.join(folder.uri.fsPath, r.path);
        if (seen.has(file) || file === exclude || !isDataFile(file) || !fs.existsSync(file)) {
          continue;
        }
        if (!logged) {
          logged = true;
          items.push({ label: 'Datasets logged by runs', kind: vscode.QuickPickItemKind.Separator });
        }
        seen.add(file);
        items.push({
          label: `$(database) ${path.basename(file)}`,
          description: `${r.role} data of run ${r.run ?? ''}`,
          detail: vscode.workspace.asRelativePath(file),
          file,
        });
      }
    } catch (e) {
      log.warn(
        `Drift: cannot list the logged datasets of ${folder.name}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
  const found = await vscode.workspace.findFiles(DATA_GLOB, EXCLUDE_GLOB, 500);
  const files = found
    .map(u => u.fsPath)
    .filter(f => !seen.has(f) && f !== exclude)
    .sort();
  if (files.length) {
    items.push({ label: 'Workspace files', kind: vscode.QuickPickItemKind.Separator });
  }
  for (const f of files) {
    items.push({
      label: `$(file) ${path.basename(f)}`,
      description: vscode.workspace.asRelativePath(path.dirname(f)),
      file: f,
    });
  }
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  items.push({
    label: '$(folder-opened) Browse…',
    description: 'a CSV, TSV, JSON Lines or Parquet file',
    browse: true,
  });
  return items;
}

const BROWSE = 'Browse…';
const SHOW_ME_HOW = 'Show Me How';

/**
 * The expected empty states of the file pickers, as guidance with a next step (never an error): no data file in
 * the workspace for the reference, or nothing besides the reference to compare it with.
 */
export function noDataFileMessage(reference: string | undefined): string {
  return reference
    ? `ML Sight: nothing to compare yet — ${path.basename(reference)} is the only data file in this workspace. ` +
        'Add the data your model sees now (a CSV, TSV, JSON Lines or Parquet file, or predictions logged with ' +
        'mlsight.log_prediction), or browse for it.'
    : 'ML Sight: no data files in this workspace yet. A drift report compares the data a model was trained on ' +
        'with the data it sees now: log your training data with mlsight.log_dataset("train", df), add a CSV, TSV, ' +
        'JSON Lines or Parquet file, or browse for one.';
}

/** Shows an empty state; returns whether the user chose to browse for a file. */
async function emptyState(reference: string | undefined): Promise<boolean> {
  const choice = await vscode.window.showInformationMessage(noDataFileMessage(reference), BROWSE, SHOW_ME_HOW);
  if (choice === SHOW_ME_HOW) {
    const category = 'mlsight.ml-sight#gettingStarted';
    void vscode.commands.executeCommand(
      'workbench.action.openWalkthrough',
      { category, step: `${category}#drift` },
      false,
    );
  }
  return choice === BROWSE;
}

async function pickFile(
  stores: StoreManager,
  log: Logger,
  title: string,
  placeHolder: string,
  exclude?: string,
  predictions = false,
): Promise<string | undefined> {
  const items = await dataFileItems(stores, log, exclude, predictions);
  if (!items.some(i => i.file)) {
    log.info(`Drift: ${exclude ? 'no data file besides the reference' : 'no data file'} in the workspace to offer.`);
    if (!(await emptyState(exclude))) {
      return undefined;
    }
  } else {
    const picked = await vscode.window.showQuickPick(items, {
      title,
      placeHolder,
      matchOnDescription: true,
      matchOnDetail: true,
      ignoreFocusOut: true,
    });
    if (!picked) {
      return undefined;
    }
    if (picked.file) {
      return picked.file;
    }
  }
  const uris = await vscode.window.showOpenDialog({
    title,
    canSelectMany: false,
    openLabel: 'Use this file',
    defaultUri: stores.folders()[0]?.uri,
    filters: { 'Data files': ['csv', 'tsv', 'tab', 'parquet', 'pq', 'jsonl', 'ndjson', 'gz'], 'All files': ['*'] },
  });
  return uris?.[0]?.fsPath;
}

const NONE = '(none)';

async function pickColumn(
  title: string,
  columns: readonly string[],
  guess: string | null,
  what: string,
): Promise<string | null | undefined> {
  const ordered = guess ? [guess, ...columns.filter(c => c !== guess)] : [...columns];
  const items: vscode.QuickPickItem[] = [
    ...(guess ? [] : [{ label: NONE, description: `no ${what} column` }]),
    ...ordered.map(c => ({ label: c, description: c === guess ? 'guessed from its name' : undefined })),
    ...(guess ? [{ label: NONE, description: `no ${what} column` }] : []),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title,
    placeHolder: `The ${what} column (Escape cancels)`,
    ignoreFocusOut: true,
  });
  if (!picked) {
    return undefined;
  }
  return picked.label === NONE && picked.description === `no ${what} column` ? null : picked.label;
}

/**
 * Asks for what is missing from `given`: the reference and current files (logged datasets, workspace data files
 * or a file dialog), then the target, prediction and time columns (guessed ones first).
 */
export async function pickDriftConfig(
  stores: StoreManager,
  log: Logger,
  given: Partial<DriftConfig> = {},
): Promise<DriftConfig | undefined> {
  const reference =
    given.reference ??
    (await pickFile(stores, log, 'Drift Report (1/5): reference data', 'The data the model was trained on'));
  if (!reference) {
    return undefined;
  }
  const current =
    given.current ??
    (await pickFile(stores, log, 'Drift Report (2/5): current data', 'The data the model sees now', reference, true));
  if (!current) {
    return undefined;
  }
  let columns: string[] = [];
  if (given.target === undefined || given.prediction === undefined || given.time === undefined) {
    try {
      const [ref, cur] = await Promise.all([readColumnNames(reference), readColumnNames(current)]);
      const inRef = new Set(ref.columns);
      columns = cur.columns.filter(c => inRef.has(c));
      for (const c of cur.columns) {
        if (!inRef.has(c)) {
          columns.push(c);
        }
      }
    } catch (e) {
      void vscode.window.showErrorMessage(`ML Sight: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }
  const guess = guessRoles(columns);
  const target =
    given.target !== undefined
      ? given.target
      : await pickColumn('Drift Report (3/5): target column', columns, guess.target, 'target (label)');
  if (target === undefined) {
    return undefined;
  }
  const rest = columns.filter(c => c !== target);
  const prediction =
    given.prediction !== undefined
      ? given.prediction
      : await pickColumn(
          'Drift Report (4/5): prediction column',
          rest,
          guess.prediction !== target ? guess.prediction : null,
          'prediction',
        );
  if (prediction === undefined) {
    return undefined;
  }
  const time =
    given.time !== undefined
      ? given.time
      : await pickColumn(
          'Drift Report (5/5): time column',
          rest.filter(c => c !== prediction),
          guess.time,
          'time',
        );
  if (time === undefined) {
    return undefined;
  }
  return { reference, current, target, prediction, time };
}

/** Reads a DriftConfig-like argument (from tests, other commands or a URI from the Explorer). */
export function configArg(arg: unknown): Partial<DriftConfig> {
  if (arg instanceof vscode.Uri) {
    return { current: arg.fsPath };
  }
  if (!arg || typeof arg !== 'object') {
    return {};
  }
  const a = arg as Record<string, unknown>;
  const out: Partial<DriftConfig> = {};
  const file = (v: unknown) => (typeof v === 'string' ? v : v instanceof vscode.Uri ? v.fsPath : undefined);
  const col = (v: unknown) => (typeof v === 'string' ? v : v === null ? null : undefined);
  if (file(a.reference)) {
    out.reference = file(a.reference);
  }
  if (file(a.current)) {
    out.current = file(a.current);
  }
  for (const k of ['target', 'prediction', 'time'] as const) {
    if (k in a) {
      const v = col(a[k]);
      if (v !== undefined) {
        out[k] = v;
      }
    }
  }
  return out;
}
