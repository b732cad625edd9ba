import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { RunningParley } from "../../src/server.ts";
import { ADMIN_TOKEN, call, createKey } from "../helpers/api.ts";
import { startTestParley } from "../helpers/parley.ts";

type Json = Record<string, unknown>;
interface Operation {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema: Json & { example?: unknown } }>;
  requestBody?: { content: Record<string, { schema: Json }> };
  responses: Record<string, { content?: Record<string, { schema: Json }> }>;
}

/** Every schema of the document, each with the document's components as `$defs` so its `$ref`s resolve. */
const validatorFor = (doc: Json) => {
  const text = JSON.stringify(doc).replaceAll("#/components/schemas/", "#/$defs/");
  const rewritten = JSON.parse(text) as { components: { schemas: Record<string, Json> } };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const $defs = rewritten.components.schemas;
  return {
    rewritten,
    check: (schema: Json, value: unknown, what: string) => {
      const validate = ajv.compile({ ...schema, $defs });
      assert.ok(validate(value), `${what}: ${JSON.stringify(validate.errors)} for ${JSON.stringify(value)}`);
    },
    resolve: (schema: Json): Json => {
      const ref = schema.$ref;
      return typeof ref === "string" ? ($defs[ref.replace("#/$defs/", "")] as Json) : schema;
    },
  };
};

/** Each example found anywhere in a schema (the schema's own and its properties'), with the schema it belongs to. */
const examplesIn = (schema: Json, found: Array<[Json, unknown]> = []): Array<[Json, unknown]> => {
  if ("example" in schema) found.push([schema, schema.example]);
  for (const value of Object.values(schema)) {
    if (value && typeof value === "object" && !Array.isArray(value)) examplesIn(value as Json, found);
  }
  return found;
};

describe("OpenAPI document", () => {
  let parley: RunningParley;
  let doc: Json;
  let key: string;
  before(async () => {
    parley = await startTestParley({ adminToken: ADMIN_TOKEN });
    key = (await createKey(parley.port, { name: "ci", rooms: ["*"], rights: ["admin"] })).secret;
    const answer = await call(parley.port, "GET", "/api/v1/openapi.json");
    assert.equal(answer.status, 200);
    doc = answer.body;
  });
  after(() => parley.close());

  test("is OpenAPI 3.1 and every example in it is valid against its own schema", () => {
    assert.equal(doc.openapi, "3.1.0");
    const { rewritten, check } = validatorFor(doc);
    const found = examplesIn(rewritten.components.schemas as Json);
    const paths = (rewritten as unknown as { paths: Record<string, Record<string, Operation>> }).paths;
    for (const operations of Object.values(paths)) {
      for (const operation of Object.values(operations)) {
        for (const parameter of operation.parameters ?? []) examplesIn(parameter.schema, found);
      }
    }
    assert.ok(found.length >= 10, `${found.length} examples`);
    for (const [schema, example] of found) {
      const { example: _, ...withoutExample } = schema;
      check(withoutExample, example, "example");
    }
  });

  test("every operation, called with its documented examples, answers as documented", async () => {
    const { rewritten, check, resolve } = validatorFor(doc);
    const paths = (rewritten as unknown as { paths: Record<string, Record<string, Operation>> }).paths;
    let called = 0;
    for (const [template, operations] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        let path = template;
        const query = new URLSearchParams();
        const headers: Record<string, string> = {};
        for (const parameter of operation.parameters ?? []) {
          const example = parameter.schema.example;
          if (example === undefined) {
            assert.ok(!parameter.required, `${method} ${template}: required ${parameter.name} has no example`);
            continue;
          }
          if (parameter.in === "path") path = path.replace(`{${parameter.name}}`, String(example));
          else if (parameter.in === "query") query.set(parameter.name, String(example));
          else if (parameter.in === "header") headers[parameter.name] = String(example);
        }
        const bodySchema = operation.requestBody?.content["application/json"]?.schema;
        const body = bodySchema ? resolve(bodySchema).example : undefined;
        const url = `http://127.0.0.1:${parley.port}${path}${query.size > 0 ? `?${query}` : ""}`;
        const abort = new AbortController();
        const response = await fetch(url, {
          method: method.toUpperCase(),
          headers: {
            ...headers,
            Authorization: `Bearer ${key}`,
            ...(body ? { "Content-Type": "application/json" } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: abort.signal,
        });
        const documented = operation.responses[String(response.status)];
        assert.ok(documented, `${method} ${template}: ${response.status} is not documented`);
        const type = response.headers.get("content-type") ?? "";
        const media = Object.keys(documented.content ?? {})[0] ?? "";
        assert.ok(type.startsWith(media), `${method} ${template}: ${type} is not ${media}`);
        if (media.endsWith("json")) {
          check(
            documented.content?.[media]?.schema ?? {},
            await response.json(),
            `${method} ${template} ${response.status}`,
          );
        }
        abort.abort(); // the event stream stays open otherwise
        called++;
      }
    }
    assert.ok(called >= 5, `${called} operations called`);
  });
});
