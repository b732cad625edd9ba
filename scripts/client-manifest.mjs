// The client package's `parley-source` export condition points at ./src/index.ts: the repository's tests run the
// sources through it (DEVELOPERS.md), but the package ships dist/ only. So its prepack takes the condition out of
// package.json for the tarball and its postpack puts it back: a consumer never resolves a file that is not there.
// `strip` and `restore` are idempotent, so a pack stopped between the two is mended by the next one (or `restore`).
import { readFileSync, writeFileSync } from "node:fs";

const CONDITION = "parley-source";
const SOURCE = "./src/index.ts";
const file = new URL("../packages/client/package.json", import.meta.url);

const mode = process.argv[2];
if (mode !== "strip" && mode !== "restore") {
  console.error("usage: node scripts/client-manifest.mjs strip|restore");
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(file, "utf8"));
const { [CONDITION]: _source, ...published } = manifest.exports["."];
// The condition goes first: conditions are matched in the order they are written.
manifest.exports["."] = mode === "strip" ? published : { [CONDITION]: SOURCE, ...published };
writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
