#!/usr/bin/env -S node --max-semi-space-size=16
// --max-semi-space-size=16 (MB): V8's young generation at most 2 × 16 MB. V8 sizes it from the machine's memory
// (up to 2 × 64 MB here, 24 GB) and grows it while thousands of connections open: ~3 kB of RSS per connection at
// 10,000, kept when idle. At 16, no measurable CPU cost (bench/results/profiles.md, "Connect and idle memory").
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
