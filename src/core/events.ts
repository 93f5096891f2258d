/** A tiny typed event emitter for the core (the editor side adapts it to vscode.Event). */
export type Listener<T> = (value: T) => void;

export interface Subscription {
  dispose(): void;
}

export class Emitter<T> {
  private listeners = new Set<Listener<T>>();

  readonly event = (listener: Listener<T>): Subscription => {
    this.listeners.add(listener);
    return {
      dispose: () => {
        this.listeners.delete(listener);
      },
    };
  };

  fire(value: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(value);
      } catch {
        /* a listener's failure must not stop the others */
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
