// A request that cannot be served: its HTTP status and a stable code. Thrown by
// the API and the model service; DetectionApi turns it into {error: {code, message}}.
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

