/** Shared types and message/fix helpers of the rules (`rules.ts`). */
import type { Facts, ObjV, SplitSite } from './dataflow';
import { RawEdit, RawFix, editsOverlap } from './fixes';
import type { PyNode } from './parser';
import { SourceText, field, shortText } from './syntax';
import type { RuleId } from './types';

export interface RawRelated {
  message: string;
  node: PyNode;
}
export interface RawFinding {
  rule: RuleId;
  node: PyNode;
  message: string;
  related: RawRelated[];
  fixes: RawFix[];
}

/** Facts found by a plain walk over the tree: imports, seeds, sources of randomness, training loops, baselines. */
export interface SyntaxFacts {
  imports: { node: PyNode; module: string; alias: string }[];
  seeds: PyNode[];
  randomness: { node: PyNode; what: string }[];
  backward: PyNode[];
  dummy: boolean;
}

export interface RuleContext {
  src: SourceText;
  root: PyNode;
  facts: Facts;
  syn: SyntaxFacts;
  /** Human location of an offset: "line 12" or "cell 3, line 2". */
  where(offset: number): string;
  seed: number;
  cellStarts: number[];
}

export const sortBy = <T>(xs: T[], key: (x: T) => number): T[] => [...xs].sort((a, b) => key(a) - key(b));

/** A model's name for messages: its class, the model inside a pipeline or search, or "the model". */
export function modelName(obj: ObjV | undefined, depth = 0): string {
  if (!obj || obj.cls === '?') {
    return 'the model';
  }
  if ((obj.cat === 'pipeline' || obj.cat === 'search') && depth < 3) {
    const inner = [...obj.steps].reverse().find(st => st.hasModel || st.cat === 'model' || st.cat === 'search');
    if (inner) {
      const innerName = modelName(inner, depth + 1);
      return obj.cat === 'search' ? `${obj.cls}(${innerName})` : `the pipeline ending in ${innerName}`;
    }
  }
  return obj.cls.includes('.') ? `the model from ${obj.cls}()` : obj.cls;
}

export const capitalize = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);

export function calleeText(call: PyNode, src: SourceText): string {
  const fn = field(call, 'function');
  return fn ? shortText(fn, src, 50) : 'call';
}

export function methodName(call: PyNode, src: SourceText): string | undefined {
  const fn = field(call, 'function');
  const attr = fn?.type === 'attribute' ? field(fn, 'attribute') : undefined;
  return attr ? src.slice(attr) : undefined;
}

export function splitPhrase(ctx: RuleContext, s: SplitSite): string {
  return `${calleeText(s.node, ctx.src)} at ${ctx.where(s.node.start)}`;
}

export function testPartPhrase(ctx: RuleContext, text: string, s: SplitSite | undefined): string {
  return s
    ? `${text}, the test part from the split at ${ctx.where(s.node.start)}`
    : `${text}, which holds test rows (judging by its variable or file name)`;
}

/** The variable names bound to a split's train and test outputs for array i. */
export function splitNames(s: SplitSite, i: number): { train?: string; test?: string } {
  return { train: s.targetNames[2 * i], test: s.targetNames[2 * i + 1] };
}

export function validFix(title: string, edits: (RawEdit | undefined)[]): RawFix[] {
  if (edits.some(e => !e)) {
    return [];
  }
  const es = edits as RawEdit[];
  return editsOverlap(es) ? [] : [{ title, edits: es }];
}

// ---------------------------------------------------------------------------------------------------------------
