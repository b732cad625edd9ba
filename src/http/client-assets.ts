import { readFile } from "node:fs/promises";
import { build } from "esbuild";

/** A file the HTTP server answers with. */
export interface Asset {
  body: Buffer;
  type: string;
  headers?: Record<string, string>;
}

const src = new URL("../", import.meta.url);
const JS = "text/javascript; charset=utf-8";

/** Bundles one TypeScript entry for browsers, in memory (esbuild ships with the package; no network). */
export const bundle = async (entry: string, minify: boolean): Promise<Buffer> => {
  const result = await build({
    entryPoints: [new URL(entry, src).pathname],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2020",
    minify,
    legalComments: "none",
    write: false,
    logLevel: "silent",
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error(`esbuild produced nothing for ${entry}`);
  return Buffer.from(file.contents);
};

let built: Promise<Map<string, Asset>> | undefined;

/**
 * The page and the SDK file, built once per process at first use (a few tens of ms) and then kept:
 * `npm start` needs no build step, and a fresh clone works offline.
 */
export const clientAssets = (): Promise<Map<string, Asset>> => {
  built ??= (async () => {
    const [html, css, app, sdk] = await Promise.all([
      readFile(new URL("client/index.html", src)),
      readFile(new URL("client/app.css", src)),
      bundle("client/main.ts", true),
      bundle("sdk/index.ts", false),
    ]);
    return new Map<string, Asset>([
      ["/", { body: html, type: "text/html; charset=utf-8" }],
      ["/app.css", { body: css, type: "text/css; charset=utf-8" }],
      ["/app.js", { body: app, type: JS }],
      // The SDK as an ES module for `<script type="module">`, importable from any origin.
      ["/parley-client.js", { body: sdk, type: JS, headers: { "Access-Control-Allow-Origin": "*" } }],
    ]);
  })();
  return built;
};
