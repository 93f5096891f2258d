import * as path from 'path';
import * as vscode from 'vscode';

export const LOGGER_FILE = 'mlsight.py';

/**
 * Makes the zero-dependency Python logger (python/mlsight.py, shipped in the VSIX) importable: its folder is
 * prepended to PYTHONPATH in every integrated terminal VS Code opens from now on. Setting an environment
 * variable runs nothing, so this also holds in untrusted workspaces.
 */
export function exposeLoggerInTerminals(context: vscode.ExtensionContext): void {
  const dir = vscode.Uri.joinPath(context.extensionUri, 'python').fsPath;
  const env = context.environmentVariableCollection;
  env.description = 'Makes the ML Sight Python logger (`import mlsight`) importable.';
  env.persistent = true;
  env.prepend('PYTHONPATH', dir + path.delimiter);
}

/** Copies mlsight.py into a workspace folder (asks before replacing a different copy). */
export async function copyLoggerIntoWorkspace(extensionUri: vscode.Uri, folder: vscode.WorkspaceFolder): Promise<vscode.Uri | undefined> {
  const source = vscode.Uri.joinPath(extensionUri, 'python', LOGGER_FILE);
  const target = vscode.Uri.joinPath(folder.uri, LOGGER_FILE);
  const bytes = await vscode.workspace.fs.readFile(source);
  let existing: Uint8Array | undefined;
  try { existing = await vscode.workspace.fs.readFile(target); } catch { /* not there yet */ }
  if (existing && Buffer.from(existing).equals(Buffer.from(bytes))) {
    void vscode.window.showInformationMessage(`ML Sight: ${LOGGER_FILE} in "${folder.name}" is already up to date.`);
    return target;
  }
  if (existing) {
    const choice = await vscode.window.showWarningMessage(`ML Sight: "${folder.name}" already has a different ${LOGGER_FILE}. Replace it with the version shipped with ML Sight?`, { modal: true }, 'Replace');
    if (choice !== 'Replace') { return undefined; }
  }
  await vscode.workspace.fs.writeFile(target, bytes);
  void vscode.window.showInformationMessage(`ML Sight: copied ${LOGGER_FILE} into "${folder.name}". Use it with "import mlsight".`, 'Open')
    .then(open => { if (open) { void vscode.window.showTextDocument(target); } });
  return target;
}
