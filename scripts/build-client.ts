// Builds packages/client/dist: index.js (one ES module, the same bundle Parley serves at /parley-client.js) with
// its source map, and the type declarations (tsc). Run by the client package's prepack and by `npm run build`.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { build } from "esbuild";
import { BROWSER_BUILD, BROWSER_ENTRIES } from "../src/http/client-bundle.ts";

const client = new URL("../packages/client/", import.meta.url);

export const buildClient = async (): Promise<void> => {
  rmSync(new URL("dist", client), { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const types = spawnSync(process.execPath, [tsc, "-p", new URL("tsconfig.build.json", client).pathname], {
    stdio: "inherit",
  });
  if (types.status !== 0) throw new Error("tsc failed on packages/client");
  const { entry, minify } = BROWSER_ENTRIES["parley-client.js"];
  await build({
    ...BROWSER_BUILD,
    entryPoints: [entry.pathname],
    outfile: new URL("dist/index.js", client).pathname,
    minify,
    sourcemap: true,
  });
};

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildClient();
  console.log("built packages/client/dist/");
}
