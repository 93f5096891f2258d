import * as vscode from 'vscode';
import { Logger } from '../core/log';
import { DisposableStore } from '../platform/disposables';
import { webviewHtml, webviewOptions } from '../platform/webviewHtml';
import { HostToPromote, PROMOTE_VIEW_TYPE, PromoteReview, PromoteToHost, isPromoteToHost } from './contract';

export interface PromoteDecision { reason: string; override: boolean }

/**
 * The promotion review page: champion and challenger side by side, the gate's checks, the A/B statistics and the
 * verdict, the model's recent registry history, and the decision (Promote, or Promote Anyway with a reason when the
 * gate failed). One page at a time; a new review replaces the previous one.
 */
export class PromotePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private readonly disposables = new DisposableStore();
  private panelDisposables = new DisposableStore();
  private current: { review: PromoteReview; resolve: (d: PromoteDecision | undefined) => void } | undefined;
  private openRun: (runId: string) => void = () => undefined;
  private lastReview: PromoteReview | undefined;
  private ready = false;
  /** messages posted to the page (extension-host tests read them) */
  recorded: HostToPromote[] | undefined;

  constructor(private readonly extensionUri: vscode.Uri, private readonly log: Logger) {}

  get isOpen(): boolean { return !!this.panel; }

  /** Shows the review; resolves with the decision, or undefined when the page is cancelled or closed. */
  review(review: PromoteReview, openRun: (runId: string) => void): Promise<PromoteDecision | undefined> {
    this.current?.resolve(undefined);
    return new Promise(resolve => {
      this.current = { review, resolve };
      this.openRun = openRun;
      this.lastReview = review;
      const title = `Promote ${review.model} v${review.challenger.version}`;
      if (!this.panel) {
        this.ready = false;
        this.panel = vscode.window.createWebviewPanel(PROMOTE_VIEW_TYPE, title, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, webviewOptions(this.extensionUri));
        this.panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'activity.svg');
        this.panel.webview.html = webviewHtml(this.panel.webview, this.extensionUri, 'promote', title);
        this.panelDisposables = new DisposableStore();
        this.panelDisposables.track(this.panel.webview.onDidReceiveMessage(m => this.receive(m)));
        this.panelDisposables.track(this.panel.onDidDispose(() => this.onClosed()));
      } else {
        this.panel.title = title;
        this.panel.reveal();
        if (this.ready) { this.post({ type: 'review', review }); }
      }
    });
  }

  /** Shows progress or the outcome on the page (after a decision). */
  post(m: HostToPromote): void {
    this.recorded?.push(m);
    void this.panel?.webview.postMessage(m);
  }

  /** Handles a message from the page (also the tests' way in). */
  receive(m: unknown): void {
    if (!isPromoteToHost(m)) { this.log.warn('Promote Model: ignored an unknown message from the page.'); return; }
    const msg: PromoteToHost = m;
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        if (this.lastReview) { this.post({ type: 'review', review: this.lastReview }); }
        break;
      case 'promote': {
        const c = this.current;
        if (!c) { return; }
        const reason = msg.reason.trim();
        if (!reason) { this.post({ type: 'error', message: 'Give a reason: it is recorded in the audit log.' }); return; }
        if (msg.override && c.review.gate.pass) { return; }
        if (!msg.override && !c.review.gate.pass) { this.post({ type: 'error', message: 'The gate failed: promote anyway (an override) or cancel.' }); return; }
        this.current = undefined;
        c.resolve({ reason, override: msg.override });
        break;
      }
      case 'cancel':
        this.panel?.dispose();
        break;
      case 'openRun':
        this.openRun(msg.runId);
        break;
    }
  }

  private onClosed(): void {
    this.panelDisposables.dispose();
    this.panel = undefined;
    this.ready = false;
    const c = this.current;
    this.current = undefined;
    c?.resolve(undefined);
  }

  close(): void { this.panel?.dispose(); }

  dispose(): void { this.panel?.dispose(); this.disposables.dispose(); }
}
