import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";

/** A file the HTTP server answers with. */
export interface Asset {
  body: Buffer;
  type: string;
  headers?: Record<string, string>;
}

// dist/client/ in an installed package (the build put app.js and parley-client.js there);
// src/client/ in a clone run through tsx, where the scripts are bundled from the sources at first use.
const pageDir = new URL("../client/", import.meta.url);
const JS = "text/javascript; charset=utf-8";

const browserFile = async (name: "app.js" | "parley-client.js"): Promise<Buffer> => {
  const built = new URL(name, pageDir);
  if (existsSync(built)) return readFile(built);
  const { bundleBrowserFile } = await import("./client-bundle.ts");
  return bundleBrowserFile(name);
};

let loaded: Promise<Map<string, Asset>> | undefined;

/** The page and the SDK file, read (or, from the sources, bundled: a few tens of ms) once per process, then kept. */
export const clientAssets = (): Promise<Map<string, Asset>> => {
  loaded ??= (async () => {
    const [html, css, app, sdk] = await Promise.all([
      readFile(new URL("index.html", pageDir)),
      readFile(new URL("app.css", pageDir)),
      browserFile("app.js"),
      browserFile("parley-client.js"),
    ]);
    return new Map<string, Asset>([
      ["/", { body: html, type: "text/html; charset=utf-8" }],
      ["/app.css", { body: css, type: "text/css; charset=utf-8" }],
      ["/app.js", { body: app, type: JS }],
      // The SDK as an ES module for `<script type="module">`, importable from any origin.
      ["/parley-client.js", { body: sdk, type: JS, headers: { "Access-Control-Allow-Origin": "*" } }],
    ]);
  })();
  return loaded;
};
