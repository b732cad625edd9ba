#!/usr/bin/env node
// An installed Parley runs the compiled dist/cli.js with plain node. In a clone (src/ is there and tsx,
// a development dependency, is installed) it runs the sources through tsx, so an edit needs no build.
import { existsSync } from "node:fs";

const source = new URL("../src/cli.ts", import.meta.url);
const tsx = existsSync(source) ? await import("tsx/esm/api").catch(() => undefined) : undefined;
if (tsx) {
  tsx.register();
  await import(source.href);
} else {
  await import("../dist/cli.js");
}
