// The errors of adaptation, with a code each (the REST API maps them to statuses).
export class AdaptError extends Error {
  constructor(readonly code: 'NO_HEAD' | 'BAD_EXAMPLE' | 'NO_EXAMPLES' | 'UNKNOWN_LABEL', message: string) {
    super(message);
    this.name = 'AdaptError';
  }
}
