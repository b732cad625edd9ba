// The install step of Parley's optional native addon (native/fastwrite.c: writes beneath net.Socket).
// It never fails the install: without a compiler, headers or Linux, Parley writes through net.Socket
// and says so at start ("write_path": "stream").
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";

const skip = (why) => {
  process.stderr.write(`parley: native writer not built (${why}); Parley will write through net.Socket\n`);
  process.exit(0);
};

if (process.platform !== "linux") skip(`not on ${process.platform}`);
// npm names its bundled node-gyp to install scripts; otherwise one on PATH.
const gyp = process.env.npm_config_node_gyp;
const [command, args] = gyp ? [process.execPath, [gyp, "rebuild"]] : ["node-gyp", ["rebuild"]];
const result = spawnSync(command, args, { encoding: "utf8", timeout: 300_000 });
if (result.status !== 0) {
  rmSync("build", { recursive: true, force: true }); // no half-built addon left to load
  const last = `${result.stderr ?? ""}${result.error?.message ?? ""}`.trim().split("\n").slice(-3).join(" | ");
  skip(`node-gyp rebuild failed: ${last || `status ${result.status}`}`);
}
