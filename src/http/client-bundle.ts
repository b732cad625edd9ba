import { type BuildOptions, build } from "esbuild";

/** How every browser file is bundled: here in memory, and by scripts/build-client.ts for the client package. */
export const BROWSER_BUILD = {
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2020",
  legalComments: "none",
  logLevel: "silent",
} as const satisfies BuildOptions;

/** The browser entries Parley serves: the page's script and the SDK as one ES module. */
export const BROWSER_ENTRIES = {
  "app.js": { entry: new URL("../client/main.ts", import.meta.url), minify: true },
  "parley-client.js": { entry: new URL("../../packages/client/src/index.ts", import.meta.url), minify: false },
} as const;

export type BrowserFile = keyof typeof BROWSER_ENTRIES;

/**
 * Bundles one browser file from the TypeScript sources, in memory: for a server run from the sources, so
 * `npm start` in a clone needs no build step, and for `npm run build`. esbuild is a development dependency only.
 */
export const bundleBrowserFile = async (name: BrowserFile): Promise<Buffer> => {
  const { entry, minify } = BROWSER_ENTRIES[name];
  const result = await build({ ...BROWSER_BUILD, entryPoints: [entry.pathname], minify, write: false });
  const file = result.outputFiles[0];
  if (!file) throw new Error(`esbuild produced nothing for ${name}`);
  return Buffer.from(file.contents);
};
