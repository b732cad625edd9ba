import { build } from "esbuild";

/** The browser entries Parley serves: the page's script and the SDK as one ES module. */
export const BROWSER_ENTRIES = {
  "app.js": { entry: new URL("../client/main.ts", import.meta.url), minify: true },
  "parley-client.js": { entry: new URL("../../packages/client/src/index.ts", import.meta.url), minify: false },
} as const;

export type BrowserFile = keyof typeof BROWSER_ENTRIES;

/**
 * Bundles one browser file from the TypeScript sources, in memory. Used by `npm run build` (which
 * writes the result to dist/client/) and, when no build is there, by a server run from the sources,
 * so `npm start` in a clone needs no build step. esbuild is a development dependency only.
 */
export const bundleBrowserFile = async (name: BrowserFile): Promise<Buffer> => {
  const { entry, minify } = BROWSER_ENTRIES[name];
  const result = await build({
    entryPoints: [entry.pathname],
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
  if (!file) throw new Error(`esbuild produced nothing for ${name}`);
  return Buffer.from(file.contents);
};
