// Validation of messages that arrive from a webview (no vscode import: shared by the panel host and unit tests).
// A webview is a page that renders workspace data; its messages are checked field by field before any handler
// sees them, one validator per message type, so a malformed or unknown message is rejected with a reason.

/** A field check: returns true when the value is acceptable. */
export type Check = (v: unknown) => boolean;

/** One validator per message type of the union `M` (the compiler makes sure none is missing). */
export type MessageValidators<M extends { type: string }> = { [K in M['type']]: (m: Record<string, unknown>) => boolean };

export const isString: Check = v => typeof v === 'string';
export const isBoolean: Check = v => typeof v === 'boolean';
export const isFiniteNumber: Check = v => typeof v === 'number' && Number.isFinite(v);
export const isNull: Check = v => v === null;
export const optional =
  (c: Check): Check =>
  v =>
    v === undefined || c(v);
export const nullable =
  (c: Check): Check =>
  v =>
    v === null || c(v);
export const oneOf =
  (...values: readonly unknown[]): Check =>
  v =>
    values.includes(v);
export const isArrayOf =
  (c: Check, maxLength = 10_000): Check =>
  v =>
    Array.isArray(v) && v.length <= maxLength && v.every(c);
export const isStringShorterThan =
  (max: number): Check =>
  v =>
    typeof v === 'string' && v.length <= max;
export const isPlainObject: Check = v => !!v && typeof v === 'object' && !Array.isArray(v);

/** A validator for a message whose listed fields pass their checks (other fields are ignored). */
export function fields(shape: Record<string, Check>): (m: Record<string, unknown>) => boolean {
  const entries = Object.entries(shape);
  return m => entries.every(([k, c]) => c(m[k]));
}

/** A message with no fields besides `type` (one that carries any other field is malformed). */
export const noFields = (m: Record<string, unknown>): boolean => Object.keys(m).every(k => k === 'type');

/**
 * Checks a message against its type's validator: returns the typed message, or a reason it was rejected
 * (not an object, no type, an unknown type, or a field that failed its check).
 */
export function validateMessage<M extends { type: string }>(
  validators: MessageValidators<M>,
  m: unknown,
): { ok: true; message: M } | { ok: false; reason: string } {
  if (!isPlainObject(m)) {
    return { ok: false, reason: 'not an object' };
  }
  const t = (m as { type?: unknown }).type;
  if (typeof t !== 'string') {
    return { ok: false, reason: 'no message type' };
  }
  if (!Object.prototype.hasOwnProperty.call(validators, t)) {
    return { ok: false, reason: `unknown message type "${t.slice(0, 40)}"` };
  }
  const check = (validators as Record<string, (m: Record<string, unknown>) => boolean>)[t];
  if (!check(m as Record<string, unknown>)) {
    return { ok: false, reason: `malformed "${t}" message` };
  }
  return { ok: true, message: m as M };
}

/** A type guard built from validators (for code that only needs yes/no). */
export function guardFrom<M extends { type: string }>(validators: MessageValidators<M>): (m: unknown) => m is M {
  return (m: unknown): m is M => validateMessage(validators, m).ok;
}
