import type { IncomingMessage, ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { createRoute, z } from "@hono/zod-openapi";
import { type ApiKey, type ApiKeyStore, hashApiKey, newApiKeyId, newApiKeySecret } from "../../api-keys/keys.ts";
import type { KeyUse } from "../../api-keys/use.ts";
import type { Logger } from "../../log.ts";
import type { AdminThrottle } from "../admin-throttle.ts";
import type { AdminRefusal } from "../metrics.ts";
import { adminApp } from "./admin-app.ts";
import { Problem } from "./problem.ts";
import { KeyUseView, KeyView, NewKey, ProblemSchema } from "./schemas.ts";

export interface AdminKeysOptions {
  token: string;
  keys: ApiKeyStore;
  log: Logger;
  /** Shared with the rest of the admin API: wrong tokens are slowed per address whatever endpoint they try. */
  throttle: AdminThrottle;
  trustedProxies: ReadonlySet<string>;
  refused?: (reason: AdminRefusal, ip: string) => void;
  now?: () => number;
  /** Requests per key on this node, shown with each key. */
  keyUse?: KeyUse;
}

/** `/admin/api/keys`: an administrator (the admin token) creates, lists and revokes API keys. */
export const createAdminKeys = (options: AdminKeysOptions) => {
  const now = options.now ?? Date.now;
  const view = (key: ApiKey) => ({ ...key, use: options.keyUse?.of(key.id) ?? { requests: 0, lastUsedAt: null } });
  const app = adminApp("/admin/api/keys", options);

  app.openapi(
    createRoute({
      method: "post",
      path: "/",
      request: { body: { required: true, content: { "application/json": { schema: NewKey } } } },
      responses: {
        201: {
          description: "The key; `secret` is shown this once",
          content: { "application/json": { schema: KeyView.extend({ secret: z.string() }) } },
        },
        400: { description: "Bad input", content: { "application/problem+json": { schema: ProblemSchema } } },
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const secret = newApiKeySecret();
      const key: ApiKey = { id: newApiKeyId(), ...body, createdAt: now(), revokedAt: null };
      await options.keys.create(key, hashApiKey(secret));
      options.log.info(
        { event: "admin", action: "key_create", id: key.id, name: key.name, rooms: key.rooms, rights: key.rights },
        "admin key_create",
      );
      return c.json({ ...view(key), secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/",
      responses: {
        200: {
          description: "Every key, revoked ones too",
          content: { "application/json": { schema: z.object({ keys: z.array(KeyView.extend({ use: KeyUseView })) }) } },
        },
      },
    }),
    async (c) => c.json({ keys: (await options.keys.list()).map(view) }, 200),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/{id}",
      request: { params: z.object({ id: z.string().min(1).max(64) }) },
      responses: {
        200: {
          description: "Revoked",
          content: { "application/json": { schema: z.object({ revoked: z.boolean(), id: z.string() }) } },
        },
        404: { description: "No such key", content: { "application/problem+json": { schema: ProblemSchema } } },
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (!(await options.keys.revoke(id, now())))
        throw new Problem(404, "bad_request", "No such key (or revoked already).");
      options.log.info({ event: "admin", action: "key_revoke", id }, "admin key_revoke");
      return c.json({ revoked: true, id }, 200);
    },
  );

  const listener = getRequestListener(app.fetch);
  return (req: IncomingMessage, res: ServerResponse): void => {
    void listener(req, res);
  };
};
