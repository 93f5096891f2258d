// The fuzz tier's machinery: byte-level mutations of valid inputs (fast-check, fixed seeds, a time budget per
// reader), the "clear message" check, and the regression corpus (test/fuzz/corpus/<reader>/: inputs that ever
// failed, replayed on every run). A failing input found by a run is saved to test-results/fuzz-failures/ to be
// copied into the corpus once its bug is fixed.
import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CORPUS = path.join(ROOT, 'test', 'fuzz', 'corpus');
const FAILURES = path.join(ROOT, 'test-results', 'fuzz-failures');
/** Base seed: the same cases on every run and machine (MLSIGHT_FUZZ_SEED explores others). */
export const SEED = Number(process.env.MLSIGHT_FUZZ_SEED ?? 20261207);
/** Time budget per reader; the whole tier stays under ~2 minutes with ten readers. */
export const BUDGET_MS = Number(process.env.MLSIGHT_FUZZ_BUDGET_MS ?? 7000);
/** A single case that takes longer than this is a hang. */
const CASE_TIMEOUT_MS = 20_000;

/** Messages that are not messages: an internal error leaking out instead of a clear sentence. */
export const UNCLEAR =
  /Cannot read propert|is not a function|is not iterable|undefined is not|null is not|Maximum call stack|Invalid array length|\n\s+at \S+ \(/;

export function assertClear(message: string, what: string): void {
  assert.doesNotMatch(message, UNCLEAR, `${what}: unclear message: ${message.slice(0, 400)}`);
}

/** Snippets a hostile or broken file tends to contain. */
const SNIPPETS = [
  '['.repeat(6000) + ']'.repeat(6000),
  '{"a":'.repeat(3000) + '1' + '}'.repeat(3000),
  '\u0000',
  '\uFEFF',
  '\uFFFD',
  '\r\n',
  '\n',
  '"',
  '\\',
  ',',
  ':',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
  '-0',
  '9007199254740993',
  'null',
  'true',
  '[]',
  '{}',
  '"--output=/tmp/mlsight-fuzz"',
  '../../../../etc/passwd',
  'x'.repeat(70_000),
  '\t',
  '#',
  '---',
  '- ',
  '!!python/object:os.system',
  '*a',
  '&a ',
  '%YAML 1.2',
];

type Mutation = { k: 0 | 1 | 2 | 3 | 4; at: number; n: number; b: number; s: string };

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  k: fc.constantFrom<0 | 1 | 2 | 3 | 4>(0, 1, 2, 3, 4),
  at: fc.nat(),
  n: fc.nat({ max: 64 }),
  b: fc.integer({ min: 0, max: 255 }),
  s: fc.oneof(fc.constantFrom(...SNIPPETS), fc.string({ maxLength: 16 }), fc.string({ unit: 'binary', maxLength: 8 })),
});

function apply(base: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(base);
  for (const m of ms) {
    const at = b.length ? m.at % (b.length + 1) : 0;
    switch (m.k) {
      case 0:
        if (b.length) {
          b[Math.min(at, b.length - 1)] = m.b;
        }
        break; // flip a byte
      case 1:
        b = b.subarray(0, at);
        break; // truncate
      case 2:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.s), b.subarray(at)]);
        break; // insert
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + m.n + 1))]);
        break; // delete
      case 4:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + m.n + 1), b.subarray(at)]);
        break; // duplicate
    }
  }
  return b;
}

/** Mutated copies of `base`: one to four edits each. */
/** The first `count` real-world-style leakage corpus scripts (sorted by name), joined: a Python base text to damage. */
export function pythonCorpusText(count = 12): Buffer {
  const dir = path.join(ROOT, 'test', 'unit', 'fixtures', 'leakage-realworld');
  const files = fs
    .readdirSync(dir)
    .filter(f => f.endsWith('.py'))
    .sort()
    .slice(0, count);
  return Buffer.from(files.map(f => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n'));
}

export function mutated(base: Buffer): fc.Arbitrary<Buffer> {
  return fc.array(mutationArb, { minLength: 1, maxLength: 4 }).map(ms => apply(base, ms));
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what}: no answer after ${CASE_TIMEOUT_MS} ms (hang)`)),
        CASE_TIMEOUT_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Cases run per reader (the tier prints them). */
export const counts = new Map<string, number>();

/**
 * Runs `check` on mutated copies of `base` for BUDGET_MS (fixed seed), after replaying the reader's corpus.
 * A failing input is saved under test-results/fuzz-failures/ and the test fails with fast-check's report.
 */
export async function fuzzReader(
  reader: string,
  seedOffset: number,
  inputs: fc.Arbitrary<Buffer>,
  check: (input: Buffer) => Promise<void>,
): Promise<void> {
  const corpusDir = path.join(CORPUS, reader);
  const corpus = fs.existsSync(corpusDir)
    ? fs
        .readdirSync(corpusDir)
        .filter(f => !f.startsWith('.'))
        .sort()
    : [];
  for (const f of corpus) {
    await withTimeout(check(fs.readFileSync(path.join(corpusDir, f))), `${reader} corpus ${f}`).catch(e => {
      throw new Error(`corpus input ${reader}/${f} fails again: ${e instanceof Error ? e.message : e}`);
    });
  }
  let failing: Buffer | undefined;
  const property = fc.asyncProperty(inputs, async input => {
    if (process.env.MLSIGHT_FUZZ_TRACE) {
      fs.mkdirSync(FAILURES, { recursive: true });
      fs.writeFileSync(path.join(FAILURES, `${reader}-current`), input);
    }
    try {
      await withTimeout(check(input), reader);
    } catch (e) {
      failing ??= input;
      throw e;
    }
  });
  let details = await fc.check(property, {
    seed: SEED + seedOffset,
    numRuns: 100_000,
    interruptAfterTimeLimit: BUDGET_MS,
    markInterruptAsFailure: false,
    endOnFailure: true,
  });
  // on a slow machine the budget can end before the first case: then a few cases run without it
  if (details.interrupted && details.numRuns < 3 && details.counterexample === null) {
    details = await fc.check(property, { seed: SEED + seedOffset, numRuns: 3, endOnFailure: true });
  }
  counts.set(reader, details.numRuns + corpus.length);
  if (details.failed) {
    const input = details.counterexample?.[0] ?? failing;
    if (input) {
      fs.mkdirSync(FAILURES, { recursive: true });
      const name = `${reader}-${crypto.createHash('sha256').update(input).digest('hex').slice(0, 12)}`;
      fs.writeFileSync(path.join(FAILURES, name), input);
    }
    throw new Error(`${reader}: ${fc.defaultReportMessage(details)}`.slice(0, 4000));
  }
}
