import type { IncomingMessage } from "node:http";
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "../../log.ts";
import { type AdminGateOptions, checkAdmin } from "../admin-gate.ts";
import { asProblem, Problem, problemResponse } from "./problem.ts";

/**
 * An admin API part on Hono under `basePath`: bad input, unknown routes and failures answered as
 * problem documents, bodies past 16 KiB refused, every request through the admin gate first.
 */
export const adminApp = (basePath: string, options: AdminGateOptions & { log: Logger }) => {
  const app = new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        throw new Problem(400, "bad_request", `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`);
      }
    },
  }).basePath(basePath);
  app.onError((error) => {
    const problem = asProblem(error);
    if (!(error instanceof Problem) && problem.status >= 500) {
      options.log.error({ event: "admin_error", err: error }, "admin API failed");
    }
    return problemResponse(problem);
  });
  app.notFound(() => problemResponse(new Problem(404, "bad_request", "No such admin endpoint.")));
  app.use(
    bodyLimit({
      maxSize: 16 * 1024,
      onError: () => {
        throw new Problem(413, "bad_request", "The body is too large.");
      },
    }),
  );
  app.use(async (c, next) => {
    const incoming = (c.env as { incoming: IncomingMessage }).incoming;
    const turnedAway = checkAdmin(incoming, c.req.header("authorization"), options);
    if (turnedAway?.reason === "throttled") {
      const { wait } = turnedAway;
      throw new Problem(429, "rate_limited", `Too many wrong admin tokens from your address; try again in ${wait} s.`, {
        "Retry-After": String(wait),
      });
    }
    if (turnedAway) {
      throw new Problem(401, "unauthorized", "A valid admin token is needed: Authorization: Bearer <token>.");
    }
    await next();
  });
  return app;
};
