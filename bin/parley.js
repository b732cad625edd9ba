#!/usr/bin/env node
// An installed Parley runs the compiled dist/cli.js with plain node. In a clone (src/ is there) it runs the sources,
// so an edit needs no build: with Node's own type stripping when parley-client resolves to its sources too (run with
// `--conditions=parley-source`, as the tests do), else through tsx, a development dependency.
import { existsSync } from "node:fs";

const source = new URL("../src/cli.ts", import.meta.url);
const clone = existsSync(source);
const native = clone && process.features.typescript && import.meta.resolve("parley-client").endsWith(".ts");
const tsx = clone && !native ? await import("tsx/esm/api").catch(() => undefined) : undefined;
if (native || tsx) {
  tsx?.register();
  await import(source.href);
} else {
  await import("../dist/cli.js");
}
