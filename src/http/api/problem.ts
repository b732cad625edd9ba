import { STATUS_CODES } from "node:http";
import { HTTPException } from "hono/http-exception";
import type { ErrorCode } from "../../chat/errors.ts";
import { isParleyError } from "../../chat/errors.ts";

/** An RFC 9457 problem document: `code` is the WebSocket protocol's error code. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
}

/** A refusal the HTTP API answers with `application/problem+json`. */
export class Problem extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly headers: Record<string, string>;

  constructor(status: number, code: ErrorCode, detail: string, headers: Record<string, string> = {}) {
    super(detail);
    this.status = status;
    this.code = code;
    this.headers = headers;
    this.name = "Problem";
  }
}

const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  too_many_reactions: 409,
  cid_conflict: 409,
  rate_limited: 429,
  store_unavailable: 503,
  unavailable: 503,
  internal: 500,
};

/** Any error as a problem: a ParleyError keeps its code; anything else is `internal`, with no detail leaked. */
export const asProblem = (error: unknown): Problem => {
  if (error instanceof Problem) return error;
  if (isParleyError(error)) return new Problem(STATUS_OF[error.code] ?? 400, error.code, error.message);
  // Hono's own refusals (a body that is not JSON): the message is Hono's, never a stack.
  if (error instanceof HTTPException && error.status < 500) {
    return new Problem(error.status, error.status === 400 ? "bad_json" : "bad_request", error.message);
  }
  return new Problem(500, "internal", "Something went wrong; see the server log.");
};

export const problemBody = (problem: Problem): ProblemBody => ({
  type: "about:blank",
  title: STATUS_CODES[problem.status] ?? "Error",
  status: problem.status,
  detail: problem.message,
  code: problem.code,
});

/** The Response for `problem`. */
export const problemResponse = (problem: Problem): Response => {
  const headers: Record<string, string> = {
    "Content-Type": "application/problem+json",
    "Cache-Control": "no-store",
    ...problem.headers,
  };
  if (problem.status === 401) headers["WWW-Authenticate"] = 'Bearer realm="parley-api"';
  return new Response(`${JSON.stringify(problemBody(problem))}\n`, { status: problem.status, headers });
};
