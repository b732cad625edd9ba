import { readFile } from "node:fs/promises";

/** A file the HTTP server answers with. */
export interface Asset {
  body: Buffer;
  type: string;
  headers?: Record<string, string>;
}

// dist/client/ when compiled (the build put app.js there); src/client/ when run from the sources (tsx or Node's type stripping).
const pageDir = new URL("../client/", import.meta.url);
const fromSources = import.meta.url.endsWith(".ts");
const JS = "text/javascript; charset=utf-8";

/**
 * Compiled: the page's script as built, and the client package's own dist/index.js, the very file a user
 * imports. From the sources: both bundled from them at first use (a few tens of ms), so an edit needs no build.
 */
const browserFile = async (name: "app.js" | "parley-client.js"): Promise<Buffer> => {
  if (fromSources) {
    const { bundleBrowserFile } = await import("./client-bundle.ts");
    return bundleBrowserFile(name);
  }
  return readFile(name === "app.js" ? new URL(name, pageDir) : new URL(import.meta.resolve("parley-client")));
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
