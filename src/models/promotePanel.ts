import * as vscode from 'vscode';
import { Logger } from '../core/log';
import { Panel, PanelHost, PanelPage } from '../platform/webviewPanel';
import { HostToPromote, PROMOTE_MESSAGES, PROMOTE_VIEW_TYPE, PromoteReview, PromoteToHost } from './contract';

export interface PromoteDecision {
  reason: string;
  override: boolean;
}

/** The one promotion review page's key: a new review replaces the one shown. */
const PROMOTE_KEY = 'promote';

/**
 * The promotion review page: champion and challenger side by side, the gate's checks, the A/B statistics and the
 * verdict, the model's recent registry history, and the decision (Promote, or Promote Anyway with a reason when the
 * gate failed). One page at a time; a new review replaces the previous one. Not restored after a reload (a review
 * is an answer to a running command). The page lives in the one panel host (src/platform/webviewPanel.ts), which
 * validates every message field by field.
 */
export class PromotePanel implements vscode.Disposable {
  private readonly host: PanelHost<PromoteReview, HostToPromote, PromoteToHost>;
  private current: { review: PromoteReview; resolve: (d: PromoteDecision | undefined) => void } | undefined;
  private openRun: (runId: string) => void = () => undefined;

  constructor(extensionUri: vscode.Uri, log: Logger) {
    this.host = new PanelHost(
      { extensionUri, log },
      {
        viewType: PROMOTE_VIEW_TYPE,
        bundle: 'promote',
        name: 'Promote Model',
        title: r => `Promote ${r.model} v${r.challenger.version}`,
        key: () => PROMOTE_KEY,
        messages: PROMOTE_MESSAGES,
      },
      panel => new PromotePage(panel, this),
    );
  }

  /** messages posted to the page (extension-host tests read them) */
  get recorded(): HostToPromote[] | undefined {
    return this.host.recorded;
  }
  set recorded(r: HostToPromote[] | undefined) {
    this.host.recorded = r;
  }

  get isOpen(): boolean {
    return !!this.panel();
  }

  /** Shows the review; resolves with the decision, or undefined when the page is cancelled or closed. */
  review(review: PromoteReview, openRun: (runId: string) => void): Promise<PromoteDecision | undefined> {
    this.current?.resolve(undefined);
    return new Promise(resolve => {
      this.current = { review, resolve };
      this.openRun = openRun;
      // opening the key already shown reveals that page, retitles it and sends it the new review when ready
      this.host.open(review);
    });
  }

  /** Shows progress or the outcome on the page (after a decision). */
  post(m: HostToPromote): void {
    this.panel()?.post(m);
  }

  /** Handles a message from the page as its webview would send it (validated the same way; the tests' way in). */
  receive(m: unknown): void {
    const panel = this.panel();
    if (panel) {
      void this.host.receive(panel, m);
    }
  }

  /** @internal the page's validated messages */
  onMessage(panel: Panel<PromoteReview, HostToPromote>, msg: Exclude<PromoteToHost, { type: 'ready' }>): void {
    switch (msg.type) {
      case 'promote': {
        const c = this.current;
        if (!c) {
          return;
        }
        const reason = msg.reason.trim();
        if (!reason) {
          this.post({ type: 'error', message: 'Give a reason: it is recorded in the audit log.' });
          return;
        }
        if (msg.override && c.review.gate.pass) {
          return;
        }
        if (!msg.override && !c.review.gate.pass) {
          this.post({ type: 'error', message: 'The gate failed: promote anyway (an override) or cancel.' });
          return;
        }
        this.current = undefined;
        c.resolve({ reason, override: msg.override });
        break;
      }
      case 'cancel':
        panel.dispose();
        break;
      case 'openRun':
        this.openRun(msg.runId);
        break;
    }
  }

  /** @internal the page closed: a pending review resolves with no decision */
  onClosed(): void {
    const c = this.current;
    this.current = undefined;
    c?.resolve(undefined);
  }

  private panel(): Panel<PromoteReview, HostToPromote> | undefined {
    return this.host.find(PROMOTE_KEY);
  }

  close(): void {
    this.panel()?.dispose();
  }

  dispose(): void {
    this.host.dispose();
  }
}

class PromotePage implements PanelPage<PromoteToHost> {
  constructor(
    private readonly panel: Panel<PromoteReview, HostToPromote>,
    private readonly owner: PromotePanel,
  ) {}

  async refresh(): Promise<void> {
    this.panel.post({ type: 'review', review: this.panel.state });
  }

  onMessage(m: Exclude<PromoteToHost, { type: 'ready' }>): void {
    this.owner.onMessage(this.panel, m);
  }

  dispose(): void {
    this.owner.onClosed();
  }
}
