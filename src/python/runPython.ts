import * as path from 'path';
import * as vscode from 'vscode';
import { Logger } from '../core/log';
import { candidates, findInterpreter, missingPackagesMessage, requiredModules } from './interpreter';

/** The interpreter the Python extension (ms-python.python) has selected for this file, when it is installed. */
export async function selectedInterpreter(resource: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<{
    environments?: { getActiveEnvironmentPath?(r?: vscode.Uri): { path?: string } | undefined };
    settings?: { getExecutionDetails?(r?: vscode.Uri): { execCommand?: string[] } | undefined };
  }>('ms-python.python');
  if (ext) {
    try {
      const api = ext.isActive ? ext.exports : await ext.activate();
      const active = api?.environments?.getActiveEnvironmentPath?.(resource)?.path;
      if (active) {
        return active;
      }
      const exec = api?.settings?.getExecutionDetails?.(resource)?.execCommand;
      if (exec?.[0]) {
        return exec[0];
      }
    } catch {
      /* fall back to probing */
    }
  }
  return vscode.workspace.getConfiguration('python', resource).get<string>('defaultInterpreterPath') || undefined;
}

function fileOf(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) {
    return arg;
  }
  if (typeof arg === 'string' && arg) {
    // a workspace-relative path (the walkthrough's button); never outside the workspace folder
    for (const f of vscode.workspace.workspaceFolders ?? []) {
      const abs = path.resolve(f.uri.fsPath, arg);
      if (abs === f.uri.fsPath || abs.startsWith(f.uri.fsPath + path.sep)) {
        return vscode.Uri.file(abs);
      }
    }
    return undefined;
  }
  const doc = vscode.window.activeTextEditor?.document;
  return doc?.languageId === 'python' && doc.uri.scheme === 'file' ? doc.uri : undefined;
}

/**
 * "ML Sight: Run Python File": runs a training script in a terminal with an interpreter that has the packages it
 * imports (the Python extension's selection first, then python3 on PATH, /usr/bin/python3, …) and the ML Sight
 * logger importable; when none has them, says which packages to install and how. Trusted workspaces only.
 */
export async function runPythonFile(extensionUri: vscode.Uri, log: Logger, arg?: unknown): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showInformationMessage(
      'ML Sight runs Python only in a trusted workspace (Manage Workspace Trust).',
    );
    return undefined;
  }
  const file = fileOf(arg);
  if (!file) {
    void vscode.window.showInformationMessage('ML Sight: open a Python file (or pick one in the Explorer) to run it.');
    return undefined;
  }
  const source = Buffer.from(await vscode.workspace.fs.readFile(file)).toString('utf8');
  const modules = requiredModules(source);
  const list = candidates(await selectedInterpreter(file));
  const choice = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Window,
      title: 'ML Sight: looking for a Python with ' + (modules.join(', ') || 'no extra packages'),
    },
    () => findInterpreter(modules, list),
  );
  for (const p of choice.probes) {
    log.info(
      `Python: ${p.command} (${p.origin}): ${p.error ?? `${p.executable} ${p.version}${p.missing.length ? `, missing ${p.missing.join(', ')}` : ''}`}`,
    );
  }
  if (!choice.chosen?.executable) {
    const { message, pip, apt } = missingPackagesMessage(modules, choice.probes);
    log.warn(message);
    const actions = [
      'Copy pip Command',
      ...(apt ? ['Copy apt-get Command'] : []),
      ...(vscode.extensions.getExtension('ms-python.python') ? ['Select Interpreter'] : []),
    ];
    void vscode.window.showWarningMessage(`ML Sight: ${message}`, ...actions).then(c => {
      if (c === 'Copy pip Command') {
        void vscode.env.clipboard.writeText(pip);
      }
      if (c === 'Copy apt-get Command' && apt) {
        void vscode.env.clipboard.writeText(apt);
      }
      if (c === 'Select Interpreter') {
        void vscode.commands.executeCommand('python.setInterpreter');
      }
    });
    return undefined;
  }
  const logger = vscode.Uri.joinPath(extensionUri, 'python').fsPath;
  const terminal = vscode.window.createTerminal({
    name: `ML Sight: ${path.basename(file.fsPath)}`,
    shellPath: choice.chosen.executable,
    shellArgs: [file.fsPath],
    cwd: path.dirname(file.fsPath),
    env: { PYTHONPATH: [logger, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) },
    message: `ML Sight: ${choice.chosen.executable} (Python ${choice.chosen.version}, from ${choice.chosen.origin}) runs ${path.basename(file.fsPath)}; its run appears in the Runs view.`,
  });
  terminal.show();
  return choice.chosen.executable;
}
