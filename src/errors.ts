// The one error class every backend throws for a failed core call. `code` is
// the C status name (XTML_STATUS_...), `detail` the core's message naming the
// tensor, operator or offset. Bad arguments from TypeScript callers throw
// TypeError or RangeError instead, naming the parameter.

export class XtmlError extends Error {
  // A field, not `this.name = ...`: on Moddable the primordials are frozen, and
  // assigning over the read-only Error.prototype.name throws a TypeError.
  override name = 'XtmlError';
  readonly code: string;
  readonly detail: string;
  /** Arena bytes the model needs, when code is XTML_STATUS_ARENA_TOO_SMALL. */
  readonly needed: number | undefined;

  constructor(code: string, detail: string, needed?: number) {
    super(detail === '' ? code : `${code}: ${detail}`);
    this.code = code;
    this.detail = detail;
    this.needed = needed;
  }
}

/** Status names in the order of the C enum xtml_status_t (xtml.h). */
export const statusNames = Object.freeze([
  'XTML_STATUS_OK',
  'XTML_STATUS_BAD_ARGUMENT',
  'XTML_STATUS_MODEL_TRUNCATED',
  'XTML_STATUS_MODEL_IDENTIFIER',
  'XTML_STATUS_MODEL_VERSION',
  'XTML_STATUS_MODEL_OFFSET',
  'XTML_STATUS_MODEL_VTABLE',
  'XTML_STATUS_MODEL_VECTOR',
  'XTML_STATUS_MODEL_MISSING',
  'XTML_STATUS_MODEL_INDEX',
  'XTML_STATUS_MODEL_SHAPE',
  'XTML_STATUS_MODEL_TYPE',
  'XTML_STATUS_MODEL_BUFFER_SIZE',
  'XTML_STATUS_MODEL_QUANTIZATION',
  'XTML_STATUS_MODEL_OPERATOR',
  'XTML_STATUS_MODEL_ALIGNMENT',
  'XTML_STATUS_UNSUPPORTED_OPERATOR',
  'XTML_STATUS_UNSUPPORTED_TYPE',
  'XTML_STATUS_UNSUPPORTED_CONFIG',
  'XTML_STATUS_SHAPE_MISMATCH',
  'XTML_STATUS_BAD_OPTIONS',
  'XTML_STATUS_ARENA_TOO_SMALL',
  'XTML_STATUS_ARENA_ALIGNMENT',
  'XTML_STATUS_EVAL_ERROR',
  'XTML_STATUS_FRAME_SIZE',
  'XTML_STATUS_FRAME_FORMAT',
  'XTML_STATUS_FRAME_TARGET',
  'XTML_STATUS_GRID_CONFIG',
  'XTML_STATUS_MODEL_RECURSION',
] as const);

export type StatusName = (typeof statusNames)[number];

export function statusName(status: number): string {
  return statusNames[status] ?? `XTML_STATUS_UNKNOWN_${status}`;
}
