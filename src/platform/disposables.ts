import * as vscode from 'vscode';

/** Owns disposables and disposes them in reverse order of registration. */
export class DisposableStore implements vscode.Disposable {
  private items: vscode.Disposable[] = [];
  private disposed = false;

  track<T extends vscode.Disposable>(d: T): T {
    if (this.disposed) {
      d.dispose();
    } else {
      this.items.push(d);
    }
    return d;
  }

  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    for (const d of this.items.reverse()) {
      try {
        d.dispose();
      } catch {
        /* keep disposing the rest */
      }
    }
    this.items = [];
  }
}
