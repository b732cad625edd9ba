import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { build } from "esbuild";
import { browserSkip, launchBrowser } from "../helpers/browser.ts";
import { connect } from "../helpers/client.ts";
import { pngOf, upload } from "../helpers/files.ts";
import { type Child, runNode } from "../helpers/lines.ts";
import { type InstalledProject, NODE, packAndInstall } from "./project.ts";

/** `npx parley ARGS` in the project, to its end. */
const npx = (project: InstalledProject, args: string[]) =>
  spawnSync("npx", ["parley", ...args], { cwd: project.dir, env: project.env, encoding: "utf8", timeout: 30_000 });

/**
 * `npx parley` serving, until `stop`; ports from its "listening" line. In a process group of its own:
 * npx does not pass SIGTERM on to the server it started.
 */
const serve = async (project: InstalledProject, args: string[]) => {
  const child = runNode(["parley", "--host", "127.0.0.1", "--log-level", "info", ...args], {
    command: "npx",
    cwd: project.dir,
    env: project.env,
    detached: true,
  });
  const line = await child.line("stdout", /"event":"listening"/);
  const { port, wsPort } = JSON.parse(line) as { port: number; wsPort: number };
  return { child, port, wsPort };
};

const stop = async (child: Child): Promise<void> => {
  if (child.proc.pid !== undefined && child.proc.exitCode === null) process.kill(-child.proc.pid, "SIGTERM");
  await child.exited;
};

describe(`Parley as installed from its packed tarballs (node ${NODE})`, { timeout: 900_000 }, () => {
  let project: InstalledProject;
  before(() => {
    project = packAndInstall();
  });
  after(() => {
    if (project) rmSync(project.work, { recursive: true, force: true });
  });

  test("the tarballs hold what a user needs and nothing else: no sources, tests or benchmarks", () => {
    const packed = new Map(
      project.tarballs.map((tarball) => [
        tarball.replace(/^.*\//, "").replace(/-[\d.]+\.tgz$/, ""),
        spawnSync("tar", ["-tzf", tarball], { encoding: "utf8" }).stdout.trim().split("\n"),
      ]),
    );
    assert.deepEqual([...packed.keys()].sort(), ["parley", "parley-client"]);
    const files = [...packed.values()].flat();
    const extra = files.filter(
      (file) => !/^package\/(dist\/.+|bin\/.+|package\.json|README\.md|LICENSE)$/.test(file) || /\.test\./.test(file),
    );
    assert.deepEqual(extra, []);
    const server = packed.get("parley") ?? [];
    for (const needed of ["package/bin/parley.js", "package/dist/cli.js", "package/dist/index.d.ts"]) {
      assert.ok(server.includes(needed), `${needed} is packed`);
    }
    assert.ok(server.includes("package/dist/client/app.js"), "the page's script is built ahead");
    const client = packed.get("parley-client") ?? [];
    for (const needed of ["package/dist/index.js", "package/dist/index.js.map", "package/README.md"]) {
      assert.ok(client.includes(needed), `parley-client: ${needed} is packed`);
    }
  });

  test("nothing needed only to build is installed: no tsx, no esbuild, no TypeScript sources", () => {
    for (const name of ["tsx", "esbuild", "parley/src", "parley-client/src"]) {
      assert.equal(existsSync(join(project.dir, "node_modules", name)), false, `${name} is not installed`);
    }
    const client = JSON.parse(readFileSync(join(project.dir, "node_modules/parley-client/package.json"), "utf8"));
    assert.equal(client.dependencies, undefined, "the client package depends on nothing");
  });

  test("every file the packages' exports name is installed, under any condition (the repository's parley-source too)", () => {
    const targets = (value: unknown): string[] =>
      typeof value === "string"
        ? [value]
        : value && typeof value === "object"
          ? Object.values(value).flatMap(targets)
          : [];
    for (const name of ["parley", "parley-client"]) {
      const root = join(project.dir, "node_modules", name);
      const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
      const missing = targets(manifest.exports).filter((target) => !existsSync(join(root, target)));
      assert.deepEqual(missing, [], `${name}: exports name files the package does not ship`);
    }
    // A consumer whose tools resolve with the condition the repository's tests use gets the built module.
    const resolved = spawnSync(
      NODE,
      ["--conditions=parley-source", "--input-type=module", "-e", "console.log(import.meta.resolve('parley-client'))"],
      { cwd: project.dir, env: project.env, encoding: "utf8" },
    );
    assert.equal(resolved.status, 0, resolved.stderr);
    assert.match(resolved.stdout.trim(), /\/node_modules\/parley-client\/dist\/index\.js$/);
  });

  test("npx parley --version and --help", () => {
    const version = npx(project, ["--version"]);
    assert.equal(version.status, 0, version.stderr);
    const manifest = JSON.parse(readFileSync(join(project.dir, "node_modules/parley/package.json"), "utf8"));
    assert.equal(version.stdout, `${manifest.version}\n`);
    const help = npx(project, ["--help"]);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: parley \[options\]$/m);
    assert.match(help.stdout, /--port <n>/);
  });

  test("npx parley serves the page, the client module, the Cookbook's text protocol and files (sharp on this Node)", async () => {
    const { child, port, wsPort } = await serve(project, [
      "--port",
      "0",
      "--ws-port",
      "0",
      "--data-dir",
      join(project.work, "data-serve"),
    ]);
    try {
      const page = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<script type="module" src="\/?app\.js"/);
      for (const path of ["/app.js", "/parley-client.js"]) {
        const script = await fetch(`http://127.0.0.1:${port}${path}`);
        assert.equal(script.status, 200, path);
        assert.match(script.headers.get("content-type") ?? "", /javascript/);
        if (path === "/parley-client.js") {
          const installed = readFileSync(join(project.dir, "node_modules/parley-client/dist/index.js"), "utf8");
          assert.equal(await script.text(), installed, "the served client is the client package's file");
        }
      }
      const a = await connect(`ws://127.0.0.1:${wsPort}/`);
      const b = await connect(`ws://127.0.0.1:${wsPort}/`);
      a.send("hello from the Cookbook");
      const echo = await a.nextMatching((frame) => frame.endsWith(": hello from the Cookbook"));
      assert.equal(await b.nextMatching((frame) => frame === echo), echo);
      await Promise.all([a.close(), b.close()]);

      // Files: an image shared with a ticket gets its thumbnail from the installed sharp, on this Node.
      const sharer = await connect(`ws://127.0.0.1:${port}/chat/pics`, "parley.v1");
      await sharer.nextMatching((frame) => frame.includes('"type":"joined"'));
      sharer.send(JSON.stringify({ type: "upload_ticket", room: "pics", cid: "t" }));
      const { ticket } = JSON.parse(await sharer.nextMatching((frame) => frame.includes('"cid":"t"')));
      const png = await pngOf(64, 48);
      const up = await upload(port, "pics", "p.png", png, `Ticket ${ticket}`, "image/png");
      assert.equal(up.status, 201, JSON.stringify(up.body));
      assert.deepEqual(up.body.image, { width: 64, height: 48 });
      const thumb = await fetch(`http://127.0.0.1:${port}/files/${up.body.id}/thumb`, {
        headers: { Authorization: `Ticket ${ticket}` },
      });
      assert.equal(thumb.headers.get("content-type"), "image/jpeg");
      await sharer.close();
    } finally {
      await stop(child);
    }
  });

  test("a plain `node bot.mjs` on the client package answers !ping, survives a restart, misses nothing, gets nothing twice", async () => {
    const dataDir = join(project.work, "data-bot");
    let server = await serve(project, ["--port", "0", "--ws-port", "0", "--data-dir", dataDir, "--rate-limit", "0"]);
    const { port } = server;
    const bot = runNode(["bot.mjs", `ws://127.0.0.1:${port}/chat`, "bots"], {
      command: NODE,
      cwd: project.dir,
      env: project.env,
    });
    try {
      await bot.line("stdout", /"joined":"bots"/);
      const say = async (texts: string[]) => {
        const user = await connect(`ws://127.0.0.1:${port}/chat`, "parley.v1");
        user.send(JSON.stringify({ type: "join", room: "bots" }));
        for (const [i, text] of texts.entries()) {
          user.send(JSON.stringify({ type: "send", room: "bots", text, cid: `${text}-${i}` }));
        }
        await user.nextMatching((frame) => frame.includes('"text":"pong"') || !texts.includes("!ping"), 10_000);
        await user.close();
      };
      await say(["!ping"]);
      await bot.line("stdout", /"text":"pong"/);

      await stop(server.child);
      server = await serve(project, [
        "--port",
        String(port),
        "--ws-port",
        "0",
        "--data-dir",
        dataDir,
        "--rate-limit",
        "0",
      ]);
      await say(["while away 1", "while away 2", "!ping"]);
      await bot.line("stdout", /"text":"pong"/, 2);
      await bot.line("stderr", /state connected/, 2);

      const seen = bot.stdout
        .filter((line) => line.startsWith('{"seq"'))
        .map((line) => JSON.parse(line) as { seq: number; text: string });
      assert.deepEqual(
        seen.map((m) => m.text),
        ["!ping", "pong", "while away 1", "while away 2", "!ping", "pong"],
      );
      assert.deepEqual(
        seen.map((m) => m.seq),
        seen.map((_, i) => (seen[0]?.seq ?? 0) + i),
        "consecutive seqs: none missed, none twice",
      );
    } catch (error) {
      // What the server said (an error's reason is in its log, not on the client's socket).
      const log = [...server.child.stdout, ...server.child.stderr].slice(-40).join("\n");
      throw new Error(`${error instanceof Error ? error.message : String(error)}\nserver log:\n${log}`, {
        cause: error,
      });
    } finally {
      bot.proc.kill("SIGTERM");
      await bot.exited;
      await stop(server.child);
    }
  });

  test("startParley from 'parley': attached to an existing HTTP server, options checked", () => {
    const result = spawnSync(NODE, ["embed.mjs", join(project.work, "data-embed")], {
      cwd: project.dir,
      env: project.env,
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(result.status, 0, result.stderr);
    const seen = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}");
    assert.equal(seen.api, "mine\n", "the program's own routes still answer");
    assert.equal(seen.pageStatus, 200);
    assert.match(seen.pageType, /text\/html/);
    assert.equal(seen.welcome.type, "welcome");
    assert.match(seen.refused, /^Error: startParley: option "port" must be a number/);
  });

  test("an esbuild browser bundle of the installed parley-client chats in Chromium", {
    skip: browserSkip(),
  }, async () => {
    const bundled = await build({
      absWorkingDir: project.dir,
      entryPoints: ["browser-entry.mjs"],
      bundle: true,
      format: "esm",
      platform: "browser",
      write: false,
      logLevel: "silent",
    });
    const script = bundled.outputFiles[0]?.text ?? "";
    const { child, port } = await serve(project, [
      "--port",
      "0",
      "--ws-port",
      "0",
      "--data-dir",
      join(project.work, "data-web"),
    ]);
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors: string[] = []; // script errors only: the document's /favicon.ico is a 404, as it should be
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(`http://127.0.0.1:${port}/healthz`); // Parley's origin, a document without a CSP
      await page.addScriptTag({ content: script, type: "module" });
      await page.waitForFunction(() => "parleyRoundTrip" in window);
      const echo = await page.evaluate(
        ([url]) =>
          (window as unknown as { parleyRoundTrip: (...a: string[]) => Promise<unknown> }).parleyRoundTrip(
            url as string,
            "web",
            "hello from a bundle",
          ),
        [`ws://127.0.0.1:${port}/chat`],
      );
      assert.deepEqual(echo, { nick: "browser", seq: 1, text: "hello from a bundle" });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await stop(child);
    }
  });

  for (const [what, tsconfig] of [
    ["a strict TypeScript consumer of both packages (Node)", "tsconfig.json"],
    [
      "a strict browser consumer of parley-client alone (no Node types, bundler resolution)",
      "tsconfig.client-only.json",
    ],
  ]) {
    test(`${what} compiles against the declarations with skipLibCheck off`, () => {
      const tsc = spawnSync(NODE, ["node_modules/typescript/bin/tsc", "-p", tsconfig as string], {
        cwd: project.dir,
        env: project.env,
        encoding: "utf8",
        timeout: 120_000,
      });
      assert.equal(tsc.stdout + tsc.stderr, "");
      assert.equal(tsc.status, 0);
    });
  }
});
