/** Reads a theme colour (a `--vscode-*` CSS variable) from the webview's body, or `fallback` when it is unset. */
export function css(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}
