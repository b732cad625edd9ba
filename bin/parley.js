#!/usr/bin/env node
import { existsSync } from "node:fs";

// A young generation of 8 MB a semi-space instead of V8's 64 (V8 sizes it by the machine's memory): a
// scavenge copies what is still alive, and with 64 MB between scavenges that was 1 to 10 MB (messages a
// store keeps, what is in flight) in one pause of tens of ms; 8 MB keeps each pause to a fraction of
// that, and the idle server's RSS 30 MB lower (bench/results/profiles.md, "Tail latency"). V8 reads
// the size only at start, so Parley starts itself again with it when it is not already set (same pid).
const YOUNG = "--max-semi-space-size=8";
const set = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)].some((a) =>
  a.startsWith("--max-semi-space-size"),
);
// Not for `parley connect`, the terminal client.
if (!set && process.argv[2] !== "connect" && typeof process.execve === "function" && process.platform !== "win32") {
  process.execve(
    process.execPath,
    [process.execPath, YOUNG, ...process.execArgv, ...process.argv.slice(1)],
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
