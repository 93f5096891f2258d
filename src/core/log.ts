/** The logging surface the core needs; the extension backs it with a LogOutputChannel, the CLI with stderr. */
export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** A logger that writes "level: message" lines to a stream (the CLI uses stderr so stdout stays JSON). */
export function streamLogger(write: (line: string) => void, minLevel: 'debug' | 'info' | 'warn' = 'warn'): Logger {
  const order = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 } as const;
  const at = (level: keyof typeof order) => (message: string) => {
    if (order[level] >= order[minLevel]) {
      write(`mlsight ${level}: ${message}\n`);
    }
  };
  return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
