import * as vscode from 'vscode';
import { Logger } from '../core/log';
import { errorMessage } from '../core/errors';
import { DisposableStore } from './disposables';
import { MessageValidators, validateMessage } from './messages';
import { decideOpen } from './panelPolicy';
import { webviewHtml, webviewOptions } from './webviewHtml';

/**
 * What kind of panel a host opens: its view type and bundle, how it is titled and identified, how a state
 * restored after a reload is checked, and one validator per message the webview may send.
 */
export interface PanelKind<S, W extends { type: string }> {
  readonly viewType: string;
  /** the webview bundle (dist/webview/<bundle>.js and .css) */
  readonly bundle: string;
  /** a name for log lines ("Run page") */
  readonly name: string;
  /** the title shown from the first frame (a page may set a better one later) */
  title(state: S): string;
  /** a better title that needs a look-up (the store), used for a panel restored after a reload before it loads */
  resolveTitle?(state: S): Promise<string>;
  /** opening a state whose key is already open reveals (and updates) that panel instead of opening another */
  key(state: S): string;
  /** checks a state VS Code restores after a reload; undefined closes the restored panel. Omit: not restored. */
  restore?(raw: unknown): S | undefined | Promise<S | undefined>;
  /** the workspace folder (URI string) whose store changes refresh the page; none: no refresh on store change */
  folderOf?(state: S): string | undefined;
  /** one validator per message type the webview sends ('ready' included) */
  readonly messages: MessageValidators<W>;
  /** debounce of refreshes after store changes */
  readonly refreshDelayMs?: number;
}

/** What a feature provides for each open panel: its data and its answers to messages. */
export interface PanelPage<W extends { type: string }> {
  /** sends the page's data; called when the webview is ready, after a store change and after `open` updates it */
  refresh(): Promise<void>;
  /** a validated message other than 'ready' */
  onMessage(m: Exclude<W, { type: 'ready' }>): Promise<void> | void;
  dispose?(): void;
}

/** The handle a page gets on its panel. */
export class Panel<S, H> {
  private isReady = false;
  private isClosed = false;
  constructor(
    readonly webviewPanel: vscode.WebviewPanel,
    public state: S,
    private readonly onPost: (m: H) => void,
  ) {}

  get ready(): boolean {
    return this.isReady;
  }
  /** @internal set by the host when the webview said it is ready */
  markReady(ready: boolean): void {
    this.isReady = ready;
  }
  /** @internal set by the host when the panel closed */
  markClosed(): void {
    this.isClosed = true;
    this.isReady = false;
  }
  get closed(): boolean {
    return this.isClosed;
  }
  /** Sends a message to the webview (nothing once the panel closed: a late answer has no page to go to). */
  post(m: H): void {
    if (this.isClosed) {
      return;
    }
    this.onPost(m);
    void this.webviewPanel.webview.postMessage(m);
  }
  set title(t: string) {
    if (!this.isClosed) {
      this.webviewPanel.title = t;
    }
  }
  get title(): string {
    return this.webviewPanel.title;
  }
  reveal(): void {
    this.webviewPanel.reveal();
  }
  dispose(): void {
    this.webviewPanel.dispose();
  }
}

/** How `PanelHost.open` opens a panel. */
export interface OpenOptions {
  readonly column?: vscode.ViewColumn;
  /** the title to show from the first frame instead of `kind.title(state)` (e.g. one resolved from the store) */
  readonly title?: string;
  /**
   * open as a preview, like VS Code's preview editors: the next preview open shows its state in this panel instead
   * of opening another; the panel is kept once its page sends a message, `pin` is called, or its key is opened
   * without `preview`
   */
  readonly preview?: boolean;
}

export interface PanelHostDeps {
  readonly extensionUri: vscode.Uri;
  readonly log: Logger;
  /** fired when a workspace folder's store changed (the store manager's event) */
  readonly onStoreChange?: vscode.Event<vscode.WorkspaceFolder>;
}

interface Open<S, H, W extends { type: string }> {
  panel: Panel<S, H>;
  page: PanelPage<W>;
  disposables: DisposableStore;
  timer?: NodeJS.Timeout;
}

/**
 * The one owner of ML Sight's webview panels: creation (the only `createWebviewPanel` call), the HTML shell with
 * its strict CSP, restoration after a reload (serializer), the ready handshake, message validation (a malformed
 * message is dropped with a log line and never reaches the page), debounced refresh on store change, and disposal.
 * The host owns data and selection; the webview owns only view settings.
 */
export class PanelHost<S, H, W extends { type: string }> implements vscode.Disposable {
  private readonly open_ = new Map<string, Open<S, H, W>>();
  /** every panel's bookkeeping, also after it closed (`receive` hands a page messages as its webview would) */
  private readonly byPanel = new WeakMap<Panel<S, H>, Open<S, H, W>>();
  private preview_: Open<S, H, W> | undefined;
  private readonly disposables = new DisposableStore();
  /** every message posted to these panels, when a test turns recording on */
  recorded: H[] | undefined;

  constructor(
    private readonly deps: PanelHostDeps,
    private readonly kind: PanelKind<S, W>,
    private readonly createPage: (panel: Panel<S, H>) => PanelPage<W>,
  ) {
    if (kind.restore) {
      const restore = kind.restore.bind(kind);
      this.disposables.track(
        vscode.window.registerWebviewPanelSerializer(kind.viewType, {
          deserializeWebviewPanel: async (webviewPanel, raw: unknown) => {
            const state = await restore(raw);
            if (state === undefined) {
              webviewPanel.dispose();
              return;
            }
            this.adopt(webviewPanel, state, await this.resolvedTitle(state));
          },
        }),
      );
    }
    if (deps.onStoreChange) {
      this.disposables.track(deps.onStoreChange(folder => this.onStoreChanged(folder.uri.toString())));
    }
  }

  /**
   * Opens a panel for a state, or reveals and updates the one already open with the same key (a function of the
   * previous state reuses the only open panel whatever its key). With `preview`, the open preview panel is
   * re-targeted to the state instead (see `OpenOptions.preview`).
   */
  open(state: S | ((previous: S | undefined) => S), options: OpenOptions | vscode.ViewColumn = {}): Panel<S, H> {
    const opts: OpenOptions = typeof options === 'object' ? options : { column: options };
    const resolve = (prev: S | undefined): S =>
      typeof state === 'function' ? (state as (p: S | undefined) => S)(prev) : state;
    const first = resolve(undefined);
    const existing = this.open_.get(this.kind.key(first)) ?? (typeof state === 'function' ? this.single() : undefined);
    const preview = this.preview_;
    const decision = decideOpen({
      keyOpen: !!existing,
      keyIsPreview: !!existing && existing === preview,
      previewOpen: !!preview,
      preview: !!opts.preview,
    });
    if (decision.pin) {
      this.preview_ = undefined;
    }
    const target = decision.action === 'reveal' ? existing : decision.action === 'retarget' ? preview : undefined;
    if (target) {
      this.update(target, resolve(target.panel.state), opts.title);
      target.panel.reveal();
      return target.panel;
    }
    const webviewPanel = vscode.window.createWebviewPanel(
      this.kind.viewType,
      opts.title ?? this.kind.title(first),
      { viewColumn: opts.column ?? vscode.ViewColumn.Active, preserveFocus: false },
      webviewOptions(this.deps.extensionUri),
    );
    const o = this.adopt(webviewPanel, first, opts.title);
    if (decision.asPreview) {
      this.preview_ = o;
    }
    return o.panel;
  }

  /** Shows another state (and key) in an open panel: its title and data follow; a panel open with that key closes. */
  retarget(panel: Panel<S, H>, state: S, title?: string): void {
    const o = this.byPanel.get(panel);
    if (o && this.isOpen(o)) {
      this.update(o, state, title);
    }
  }

  /** The preview panel, if one is open. */
  get previewPanel(): Panel<S, H> | undefined {
    return this.preview_?.panel;
  }

  /** Keeps a preview panel (the next preview opens a panel of its own). */
  pin(panel: Panel<S, H>): void {
    if (this.preview_?.panel === panel) {
      this.preview_ = undefined;
    }
  }

  /** The title a panel for this state starts with: the kind's resolved title, or its immediate one. */
  async resolvedTitle(state: S): Promise<string> {
    if (this.kind.resolveTitle) {
      try {
        return await this.kind.resolveTitle(state);
      } catch (e) {
        this.deps.log.warn(`${this.kind.name}: no title (${errorMessage(e)}).`);
      }
    }
    return this.kind.title(state);
  }

  /** The open panel with this key. */
  find(key: string): Panel<S, H> | undefined {
    return this.open_.get(key)?.panel;
  }

  /** Every open panel. */
  panels(): Panel<S, H>[] {
    return [...this.open_.values()].map(o => o.panel);
  }

  /** Hands a message to a panel's page as if its webview had sent it (validated the same way; tests use it). */
  async receive(panel: Panel<S, H>, m: unknown): Promise<void> {
    const o = this.byPanel.get(panel);
    if (o) {
      await this.onMessage(o, m);
    }
  }

  private single(): Open<S, H, W> | undefined {
    return this.open_.size === 1 ? [...this.open_.values()][0] : undefined;
  }

  private isOpen(o: Open<S, H, W>): boolean {
    return [...this.open_.values()].includes(o);
  }

  private update(o: Open<S, H, W>, next: S, title: string | undefined): void {
    this.rekey(o, next);
    o.panel.state = next;
    o.panel.title = title ?? this.kind.title(next);
    if (o.panel.ready) {
      this.refresh(o);
    }
  }

  private rekey(o: Open<S, H, W>, next: S): void {
    for (const [k, v] of this.open_) {
      if (v === o) {
        this.open_.delete(k);
      }
    }
    const key = this.kind.key(next);
    const other = this.open_.get(key);
    if (other && other !== o) {
      // another panel showed that state: the re-targeted panel replaces it
      this.open_.delete(key);
      other.panel.dispose();
    }
    this.open_.set(key, o);
  }

  private adopt(webviewPanel: vscode.WebviewPanel, state: S, title?: string): Open<S, H, W> {
    const { extensionUri } = this.deps;
    const t = title ?? this.kind.title(state);
    webviewPanel.webview.options = webviewOptions(extensionUri);
    webviewPanel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'activity.svg');
    webviewPanel.title = t;
    webviewPanel.webview.html = webviewHtml(webviewPanel.webview, extensionUri, this.kind.bundle, t);
    const panel = new Panel<S, H>(webviewPanel, state, m => this.recorded?.push(m));
    const disposables = new DisposableStore();
    const o: Open<S, H, W> = { panel, page: undefined as unknown as PanelPage<W>, disposables };
    const previous = this.open_.get(this.kind.key(state));
    previous?.panel.dispose();
    this.open_.set(this.kind.key(state), o);
    this.byPanel.set(panel, o);
    o.page = this.createPage(panel);
    disposables.track(webviewPanel.webview.onDidReceiveMessage(m => void this.onMessage(o, m)));
    disposables.track(webviewPanel.onDidDispose(() => this.closed(o)));
    return o;
  }

  private async onMessage(o: Open<S, H, W>, m: unknown): Promise<void> {
    const v = validateMessage(this.kind.messages, m);
    if (!v.ok) {
      this.deps.log.warn(`${this.kind.name}: ignored a message from the page (${v.reason}).`);
      return;
    }
    try {
      if (v.message.type === 'ready') {
        o.panel.markReady(true);
        await o.page.refresh();
      } else {
        this.pin(o.panel); // working in a preview panel keeps it
        await o.page.onMessage(v.message as Exclude<W, { type: 'ready' }>);
      }
    } catch (e) {
      this.deps.log.error(`${this.kind.name}: ${errorMessage(e)}`);
    }
  }

  private refresh(o: Open<S, H, W>): void {
    void o.page.refresh().catch(e => this.deps.log.error(`${this.kind.name}: ${errorMessage(e)}`));
  }

  private onStoreChanged(folder: string): void {
    for (const o of this.open_.values()) {
      if (this.kind.folderOf?.(o.panel.state) === folder) {
        this.schedule(o);
      }
    }
  }

  /** Refreshes a ready panel's page after the debounce, as after a store change (e.g. a file it shows changed). */
  refreshSoon(panel: Panel<S, H>): void {
    const o = [...this.open_.values()].find(x => x.panel === panel);
    if (o) {
      this.schedule(o);
    }
  }

  private schedule(o: Open<S, H, W>): void {
    if (!o.panel.ready || o.timer) {
      return;
    }
    o.timer = setTimeout(() => {
      o.timer = undefined;
      this.refresh(o);
    }, this.kind.refreshDelayMs ?? 300);
  }

  private closed(o: Open<S, H, W>): void {
    if (o.timer) {
      clearTimeout(o.timer);
    }
    o.disposables.dispose();
    o.panel.markClosed();
    if (this.preview_ === o) {
      this.preview_ = undefined;
    }
    for (const [k, v] of this.open_) {
      if (v === o) {
        this.open_.delete(k);
      }
    }
    try {
      o.page.dispose?.();
    } catch (e) {
      this.deps.log.error(`${this.kind.name}: ${errorMessage(e)}`);
    }
  }

  dispose(): void {
    for (const o of [...this.open_.values()]) {
      o.panel.dispose();
    }
    this.disposables.dispose();
  }
}
