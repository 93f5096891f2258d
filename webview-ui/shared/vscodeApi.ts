/**
 * The typed face of `acquireVsCodeApi()` for webview bundles: each webview passes its contract's message union,
 * so `postMessage` only accepts messages the host understands.
 */
export interface WebviewApi<FromWebview, State> {
  postMessage(message: FromWebview): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<FromWebview, State>(): WebviewApi<FromWebview, State>;

let api: unknown;
export function vscodeApi<FromWebview, State>(): WebviewApi<FromWebview, State> {
  api ??= acquireVsCodeApi<FromWebview, State>();
  return api as WebviewApi<FromWebview, State>;
}

/** Creates an element with text content only: webviews never insert data as HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { text?: string; className?: string; title?: string } = {},
  ...children: Node[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.text !== undefined) {
    e.textContent = props.text;
  }
  if (props.className) {
    e.className = props.className;
  }
  if (props.title) {
    e.title = props.title;
  }
  for (const c of children) {
    e.appendChild(c);
  }
  return e;
}
