/** An error answered to the client as OpenAI's `{ error: { message, type, param, code } }` with an HTTP status. */
export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;

  constructor(status: number, message: string, opts: { readonly type?: string; readonly param?: string; readonly code?: string } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.type = opts.type ?? typeOfStatus(status);
    this.param = opts.param ?? null;
    this.code = opts.code ?? null;
  }

  /** The error body OpenAI's clients parse. */
  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** A request field that is missing or has the wrong type or value (400, naming the field). */
export function badField(param: string, message: string): ApiError {
  return new ApiError(400, message, { param, code: "invalid_value" });
}

function typeOfStatus(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 404) return "not_found_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}
