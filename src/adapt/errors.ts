// The errors of adaptation, with a code each (the REST API maps them to statuses).
export class AdaptError extends Error {
  // A field, not `this.name = ...`: in a Moddable app the primordials are frozen,
  // and assigning over the read-only Error.prototype.name throws a TypeError
  // (the device answered 500 "set name: not writable" instead of the error).
  override name = 'AdaptError';

  constructor(readonly code: 'NO_HEAD' | 'BAD_EXAMPLE' | 'NO_EXAMPLES' | 'UNKNOWN_LABEL', message: string) {
    super(message);
  }
}
