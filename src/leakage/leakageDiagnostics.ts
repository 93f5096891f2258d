import * as vscode from 'vscode';
import {
  AnalyzeOptions,
  Finding,
  NotebookCellInput,
  RULE_IDS,
  Range,
  RuleId,
  RuleSetting,
  analyzeNotebookSync,
  analyzePythonSync,
  isPythonParserLoaded,
  loadPythonParser,
  rateText,
  releaseDocument,
} from '../core/leakage';
import { Logger } from '../core/log';
import { DisposableStore } from '../platform/disposables';

export const DIAGNOSTIC_SOURCE = 'ML Sight';

const SEVERITY: Record<Finding['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

function toRange(r: Range): vscode.Range {
  return new vscode.Range(r.startLine, r.startColumn, r.endLine, r.endColumn);
}

/**
 * A diagnostic that remembers the finding it came from (for quick fixes). Its hover ends with the rule's measured
 * precision and recall (a second line, so the Problems list keeps the one-line message).
 */
class LeakageDiagnostic extends vscode.Diagnostic {
  constructor(
    readonly finding: Finding,
    range: vscode.Range,
    readonly notebook?: vscode.NotebookDocument,
  ) {
    const rate = rateText(finding.rule);
    super(range, rate ? `${finding.message}\n${rate}` : finding.message, SEVERITY[finding.severity]);
    this.source = DIAGNOSTIC_SOURCE;
    this.code = finding.rule;
  }
}

function readOptions(scope?: vscode.ConfigurationScope): AnalyzeOptions & { enabled: boolean } {
  const c = vscode.workspace.getConfiguration('mlsight.leakage', scope);
  const rules: Partial<Record<RuleId, RuleSetting>> = {};
  const configured = c.get<Record<string, string>>('rules', {});
  for (const [k, v] of Object.entries(configured)) {
    if ((RULE_IDS as readonly string[]).includes(k) && ['off', 'error', 'warning', 'info'].includes(v)) {
      rules[k as RuleId] = v as RuleSetting;
    }
  }
  return { enabled: c.get<boolean>('enabled', true), rules, seed: c.get<number>('seed', 42) };
}

/**
 * Inline leakage and ML-mistake diagnostics for Python files and Jupyter notebooks, with quick fixes. The parser
 * (WebAssembly) loads on the first Python document, not at activation. Analysis is debounced while typing and
 * only reads text, so it also runs in untrusted workspaces.
 */
export class LeakageDiagnostics implements vscode.Disposable, vscode.CodeActionProvider {
  static readonly providedCodeActionKinds = [vscode.CodeActionKind.QuickFix];
  private readonly collection = vscode.languages.createDiagnosticCollection('mlsight-leakage');
  private readonly disposables = new DisposableStore();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** analysis time of the last run (tests and the benchmark read it) */
  lastAnalysisMs = 0;
  private readonly analyzed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidAnalyze = this.analyzed.event;

  constructor(private readonly log: Logger) {
    this.disposables.track(this.collection);
    this.disposables.track(this.analyzed);
    this.disposables.track(vscode.workspace.onDidOpenTextDocument(d => this.schedule(d, 0)));
    this.disposables.track(vscode.workspace.onDidChangeTextDocument(e => this.schedule(e.document, 300)));
    this.disposables.track(
      vscode.workspace.onDidCloseTextDocument(d => {
        if (!this.cellOf(d)) {
          this.collection.delete(d.uri);
          releaseDocument(d.uri.toString());
        }
      }),
    );
    this.disposables.track(vscode.workspace.onDidOpenNotebookDocument(nb => this.scheduleNotebook(nb, 0)));
    this.disposables.track(vscode.workspace.onDidChangeNotebookDocument(e => this.scheduleNotebook(e.notebook, 300)));
    this.disposables.track(
      vscode.workspace.onDidCloseNotebookDocument(nb => {
        for (const c of nb.getCells()) {
          this.collection.delete(c.document.uri);
        }
        releaseDocument(nb.uri.toString());
      }),
    );
    this.disposables.track(
      vscode.workspace.onDidChangeConfiguration(e => {
        if (e.affectsConfiguration('mlsight.leakage')) {
          this.analyzeAllOpen();
        }
      }),
    );
    this.disposables.track(
      vscode.languages.registerCodeActionsProvider(
        [{ language: 'python' }, { notebookType: 'jupyter-notebook', language: 'python' }],
        this,
        { providedCodeActionKinds: LeakageDiagnostics.providedCodeActionKinds },
      ),
    );
    this.analyzeAllOpen();
  }

  private analyzeAllOpen(): void {
    for (const d of vscode.workspace.textDocuments) {
      this.schedule(d, 0);
    }
    for (const nb of vscode.workspace.notebookDocuments) {
      this.scheduleNotebook(nb, 0);
    }
  }

  private cellOf(d: vscode.TextDocument): vscode.NotebookDocument | undefined {
    if (d.uri.scheme !== 'vscode-notebook-cell') {
      return undefined;
    }
    return vscode.workspace.notebookDocuments.find(nb => nb.getCells().some(c => c.document === d));
  }

  private schedule(doc: vscode.TextDocument, delay: number): void {
    const nb = this.cellOf(doc);
    if (nb) {
      this.scheduleNotebook(nb, delay);
      return;
    }
    if (doc.languageId !== 'python' || doc.uri.scheme === 'git' || doc.uri.scheme === 'output') {
      return;
    }
    this.debounce(doc.uri.toString(), delay, () => this.analyzeDocument(doc));
  }

  private scheduleNotebook(nb: vscode.NotebookDocument, delay: number): void {
    if (nb.notebookType !== 'jupyter-notebook') {
      return;
    }
    this.debounce(nb.uri.toString(), delay, () => this.analyzeNotebook(nb));
  }

  private debounce(key: string, delay: number, fn: () => Promise<void>): void {
    const t = this.timers.get(key);
    if (t) {
      clearTimeout(t);
    }
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        fn().catch(e => this.log.error(`Leakage analysis failed: ${e instanceof Error ? e.message : e}`));
      }, delay),
    );
  }

  private async ready(): Promise<boolean> {
    if (!isPythonParserLoaded()) {
      const t0 = Date.now();
      await loadPythonParser();
      this.log.info(`Python parser loaded in ${Date.now() - t0} ms.`);
    }
    return true;
  }

  async analyzeDocument(doc: vscode.TextDocument): Promise<void> {
    const opts = readOptions(doc.uri);
    if (!opts.enabled) {
      this.collection.delete(doc.uri);
      return;
    }
    await this.ready();
    if (doc.isClosed) {
      return;
    }
    const t0 = performance.now();
    const result = analyzePythonSync(doc.getText(), { ...opts, documentKey: doc.uri.toString() });
    this.lastAnalysisMs = performance.now() - t0;
    this.collection.set(
      doc.uri,
      result.findings.map(f => this.toDiagnostic(f, doc.uri)),
    );
    this.analyzed.fire(doc.uri);
  }

  async analyzeNotebook(nb: vscode.NotebookDocument): Promise<void> {
    const opts = readOptions(nb.uri);
    const cells = nb.getCells();
    if (!opts.enabled) {
      for (const c of cells) {
        this.collection.delete(c.document.uri);
      }
      return;
    }
    await this.ready();
    if (nb.isClosed) {
      return;
    }
    const input: NotebookCellInput[] = cells
      .filter(c => c.kind === vscode.NotebookCellKind.Code && c.document.languageId === 'python')
      .map(c => ({
        source: c.document.getText(),
        index: c.index,
        outputs: c.outputs.flatMap(o =>
          o.items
            .filter(i => i.mime.startsWith('text/plain') || i.mime === 'application/vnd.code.notebook.stdout')
            .map(i => new TextDecoder().decode(i.data)),
        ),
      }));
    const t0 = performance.now();
    const result = analyzeNotebookSync(input, { ...opts, documentKey: nb.uri.toString() });
    this.lastAnalysisMs = performance.now() - t0;
    const byCell = new Map<number, vscode.Diagnostic[]>();
    for (const f of result.findings) {
      if (f.cell === undefined || !f.cellRange) {
        continue;
      }
      const cell = cells[f.cell];
      if (!cell) {
        continue;
      }
      const d = new LeakageDiagnostic(f, toRange(f.cellRange), nb);
      d.relatedInformation = (f.related ?? [])
        .filter(r => r.cell !== undefined && r.cellRange && cells[r.cell])
        .map(
          r =>
            new vscode.DiagnosticRelatedInformation(
              new vscode.Location(cells[r.cell!].document.uri, toRange(r.cellRange!)),
              r.message,
            ),
        );
      byCell.set(f.cell, [...(byCell.get(f.cell) ?? []), d]);
    }
    for (const c of cells) {
      this.collection.set(c.document.uri, byCell.get(c.index) ?? []);
    }
    this.analyzed.fire(nb.uri);
  }

  private toDiagnostic(f: Finding, uri: vscode.Uri): vscode.Diagnostic {
    const d = new LeakageDiagnostic(f, toRange(f.range));
    d.relatedInformation = (f.related ?? []).map(
      r => new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, toRange(r.range)), r.message),
    );
    return d;
  }

  provideCodeActions(
    doc: vscode.TextDocument,
    _range: vscode.Range,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    const ours = (this.collection.get(doc.uri) ?? []).filter(
      (d): d is LeakageDiagnostic => d instanceof LeakageDiagnostic,
    );
    for (const diag of context.diagnostics) {
      if (diag.source !== DIAGNOSTIC_SOURCE) {
        continue;
      }
      const mine = ours.find(o => o.range.isEqual(diag.range) && o.code === diag.code && o.message === diag.message);
      if (!mine) {
        continue;
      }
      for (const fix of mine.finding.fixes ?? []) {
        const edit = new vscode.WorkspaceEdit();
        for (const e of fix.edits) {
          if (mine.notebook && e.cell !== undefined && e.cellRange) {
            const cell = mine.notebook.cellAt(e.cell);
            edit.replace(cell.document.uri, toRange(e.cellRange), e.newText);
          } else if (!mine.notebook) {
            edit.replace(doc.uri, toRange(e.range), e.newText);
          }
        }
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.edit = edit;
        action.diagnostics = [diag];
        action.isPreferred = (mine.finding.fixes ?? [])[0] === fix;
        actions.push(action);
      }
      // always offer a suppression comment on the line above
      const line = doc.lineAt(diag.range.start.line);
      const indent = line.text.slice(0, line.firstNonWhitespaceCharacterIndex);
      const ignore = new vscode.CodeAction(
        `Ignore ${mine.finding.rule} here (# mlsight: ignore)`,
        vscode.CodeActionKind.QuickFix,
      );
      ignore.edit = new vscode.WorkspaceEdit();
      ignore.edit.insert(
        doc.uri,
        new vscode.Position(line.lineNumber, 0),
        `${indent}# mlsight: ignore[${mine.finding.rule}]\n`,
      );
      ignore.diagnostics = [diag];
      actions.push(ignore);
    }
    return actions;
  }

  dispose(): void {
    for (const t of this.timers.values()) {
      clearTimeout(t);
    }
    this.disposables.dispose();
  }
}
