#!/usr/bin/env node
import { existsSync } from "node:fs";
import { serverFlags } from "./node-flags.js";

// The server's V8 flags (bin/node-flags.js): V8 reads them only at start, so Parley starts itself again
// with those not already set (same pid). Not for `parley connect`, the terminal client.
const added =
  process.argv[2] === "connect"
    ? []
    : serverFlags([...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)]);
if (added.length > 0 && typeof process.execve === "function" && process.platform !== "win32") {
  process.execve(
    process.execPath,
    [process.execPath, ...added, ...process.execArgv, ...process.argv.slice(1)],
    process.env,
  );
}

// An installed Parley runs the compiled dist/cli.js with plain node. In a clone (src/ is there) it runs the sources,
// so an edit needs no build: with Node's own type stripping when parley-client resolves to its sources too (run with
// `--conditions=parley-source`, as the tests do), else through tsx, a development dependency.
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
