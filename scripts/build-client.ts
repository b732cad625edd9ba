// Writes the SDK as one browser ES module, dist/parley-client.js, for hosting it somewhere other than
// Parley (which serves the same file at /parley-client.js without any build step).
import { mkdirSync, writeFileSync } from "node:fs";
import { bundle } from "../src/http/client-assets.ts";

mkdirSync("dist", { recursive: true });
writeFileSync("dist/parley-client.js", await bundle("sdk/index.ts", false));
console.log("wrote dist/parley-client.js");
