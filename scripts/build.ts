// `npm run build` (also run by `npm pack`/`npm publish` through prepack): builds the client package, compiles
// src/ to dist/ (JavaScript, .d.ts, source maps) and writes the page's files to dist/client/, so an installed
// Parley runs with plain node and needs neither tsx nor esbuild.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { bundleBrowserFile } from "../src/http/client-bundle.ts";
import { buildClient } from "./build-client.ts";

const root = new URL("../", import.meta.url);
const at = (path: string) => new URL(path, root);

// The client package first: the server's declarations refer to its types, and the server serves its dist/index.js.
await buildClient();
rmSync(at("dist"), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const compiled = spawnSync(process.execPath, [tsc, "-p", at("tsconfig.build.json").pathname], { stdio: "inherit" });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

// Files tsc does not emit: the SQLite writer and checkpointer threads (plain JavaScript), the admin page, the page's HTML and CSS.
for (const thread of ["sqlite-writer.js", "sqlite-checkpointer.js"])
  cpSync(at(`src/store/${thread}`), at(`dist/store/${thread}`));
cpSync(at("src/http/admin-page"), at("dist/http/admin-page"), { recursive: true });
mkdirSync(at("dist/client"), { recursive: true });
for (const file of ["index.html", "app.css"]) cpSync(at(`src/client/${file}`), at(`dist/client/${file}`));
writeFileSync(at("dist/client/app.js"), await bundleBrowserFile("app.js"));
console.log("built dist/");
