/**
 * Re-use of the analysis of unchanged functions while a document is edited (`documentKey`).
 *
 * After the module's statements have run, every function never called from them is analysed once, on its own, with
 * unknown arguments (interpreter.ts `runModule`): in a file made of functions that is most of the work. Such a run of
 * a function whose closure is the module (a "unit") is recorded: what it read from outside itself and what it left
 * behind. After an edit elsewhere, when the re-parse re-used the function's nodes (reparse.ts: same node objects, so
 * the same text) and everything it read is as before, its effects are replayed instead of running it again:
 *
 * - reads: module-level names it looked up (library references and literals compared by value, datasets of names
 *   another unit found unbound by identity; names it found unbound must still be unbound), whether dotted names were
 *   bound (`self.x`), and the statement budget left;
 * - a unit that reads anything else from outside is not recorded: a module-level dataset, function or object, a key
 *   of the shared tables (`once`, roots, taints, split sites) that existed before it ran, or a write to the module
 *   frame other than caching an unbound name (`global x` that is not read first). Functions defined in the unit and
 *   not called from it are analysed right after it, as part of it;
 * - effects replayed: the facts it appended (the same objects, in the same order), the module-level names it cached
 *   (library references, literals, unbound datasets) with their roots, the budget it used, `dottedBound`.
 *
 * Ids (roots, taints, split sites) are only compared for equality: a document's analyses continue one numbering, so
 * ids in re-used facts never meet a new id by accident. Keys that hold node ids are not replayed: only a call to the
 * unit's function could meet them, and such a call (from a unit analysed later) makes the analysis run again from
 * scratch without re-use. A unit test checks identical findings against a fresh analysis after random edits.
 */
import type { PyNode } from './parser';
import type { Facts, V } from './values';

/** The list-valued facts, appended to in order by the analysis. */
export const FACT_LISTS = [
  'splits',
  'splitters',
  'preLeaks',
  'overLeaks',
  'testFits',
  'evaluations',
  'modelFits',
  'accuracy',
  'imbalance',
  'evaluated',
  'valueCounts',
  'testAsValidation',
  'targetLeaks',
  'scorings',
  'heldOut',
] as const satisfies readonly (keyof Facts)[];

export interface UnitRecord {
  /** Module-level names read: the value found then (a reference or literal), or null when the name was unbound. */
  reads: Map<string, V | null>;
  dottedAtStart: boolean;
  dottedSet: boolean;
  budgetUsed: number;
  /** Module-level names the unit left bound (cached unbound names), with their final values. */
  globalsAdded: [string, V][];
  /** Shared root keys without node ids (`name:x`) the unit created. */
  rootKeys: [string, number][];
  facts: unknown[][];
  otherMetric: boolean;
}

/** The units of one document's last analysis, and the next free id of its numbering. */
export interface UnitCache {
  units: Map<PyNode, UnitRecord>;
  nextId: number;
  /** Syntax facts of each top-level statement (analyze.ts `syntaxFacts`). */
  statements: Map<PyNode, object>;
}

/** Counters for the bench and tests: units re-used, units analysed, analyses run again after a broken re-use. */
export const unitStats = { reused: 0, analysed: 0, rerun: 0 };

const MAX_DOCUMENTS = 16;
const caches = new Map<string, UnitCache>();

/** The unit cache of a document (created empty); the most recently used documents are kept. */
export function unitCacheFor(documentKey: string): UnitCache {
  let c = caches.get(documentKey);
  if (c) {
    caches.delete(documentKey);
  } else {
    c = { units: new Map(), nextId: 1, statements: new Map() };
  }
  caches.set(documentKey, c);
  for (const [k] of caches) {
    if (caches.size <= MAX_DOCUMENTS) {
      break;
    }
    caches.delete(k);
  }
  return c;
}

export function releaseUnits(documentKey: string): void {
  caches.delete(documentKey);
}

/** What one unit's run reads and creates, collected while it runs. */
export class UnitRecorder {
  readonly reads = new Map<string, V | null>();
  /** Keys of the shared tables created during the run (a hit on any other key makes the unit external). */
  readonly seen = new Set<string>();
  readonly roots = new Set<string>();
  readonly taints = new Set<string>();
  readonly splits = new Set<PyNode>();
  external = false;
  dottedSet = false;

  constructor(
    readonly globalsAtStart: Map<string, V>,
    readonly dottedAtStart: boolean,
    readonly budgetAtStart: number,
    readonly factLengths: number[],
    readonly defsAtStart: number,
    readonly otherMetricBefore: boolean,
  ) {}

  /** A module-level name read during the run: `v` as found in the module frame, undefined when unbound. */
  readGlobal(name: string, v: V | undefined): void {
    const before = this.globalsAtStart.get(name);
    if (v === undefined) {
      if (before !== undefined) {
        this.external = true;
      } else if (!this.reads.has(name)) {
        this.reads.set(name, null);
      }
      return;
    }
    if (before === undefined) {
      // bound by the unit itself (an unbound name it cached, or `global`): checked when it ends
      if (!this.reads.has(name)) {
        this.external = true;
      }
      return;
    }
    if (before !== v || !plain(v)) {
      this.external = true;
      return;
    }
    this.reads.set(name, v);
  }
}

const PLAIN_DATA_KEYS = new Set(['k', 'part', 'roots', 'taints']);

/**
 * A value never changed in place: references, literals, datasets of unbound names (no taints, no other fields), and
 * unions of these.
 */
function plain(v: V, depth = 0): boolean {
  switch (v.k) {
    case 'ref':
    case 'lit':
      return true;
    case 'union':
      return depth < 4 && v.alts.every(a => plain(a, depth + 1));
    case 'data':
      return !v.taints.length && Object.keys(v).every(k => PLAIN_DATA_KEYS.has(k));
    default:
      return false;
  }
}

/** Same module-level value as recorded (references by name, literals by value, anything else the same object). */
export function sameRead(recorded: V | null, now: V | undefined): boolean {
  if (recorded === null || now === undefined) {
    return recorded === null && now === undefined;
  }
  if (recorded.k === 'ref') {
    return now.k === 'ref' && now.qn === recorded.qn;
  }
  if (recorded.k === 'lit') {
    return now.k === 'lit' && Object.is(now.value, recorded.value);
  }
  return now === recorded;
}

/** A value a unit may leave in the module frame: a plain value whose datasets have roots among `roots`. */
export function replayable(v: V, roots: ReadonlySet<number>, depth = 0): boolean {
  if (v.k === 'union') {
    return depth < 4 && v.alts.every(a => replayable(a, roots, depth + 1));
  }
  return plain(v) && (v.k !== 'data' || v.roots.every(r => roots.has(r)));
}

/** Root keys shared by name rather than by node (created once, hit by later code anywhere in the file). */
export const sharedRootKey = (key: string): boolean => key.startsWith('name:') || key.startsWith('argi:');
