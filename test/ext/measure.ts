/**
 * Numbers measured inside the extension host. Every test file and index.js is its own bundle, so the record
 * lives on globalThis (index.js creates it and writes it into the results file, which the benchmark reads).
 */
const g = globalThis as { __mlsightMeasurements?: Record<string, number> };
export const measurements: Record<string, number> = (g.__mlsightMeasurements ??= {});

export function measure(name: string, value: number, unit = 'ms'): void {
  measurements[name] = value;
  console.log(`[mocha]       measured ${name}: ${Number.isInteger(value) ? value : value.toFixed(2)} ${unit}`);
}
