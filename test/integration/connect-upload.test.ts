import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { RUN_SOURCES, runNode } from "../helpers/lines.ts";
import { startTestParley, tempDir } from "../helpers/parley.ts";
import { nextEvent, sdkClient } from "../helpers/sdk.ts";

describe("parley connect: /upload PATH", () => {
  const cleanup: Array<() => unknown> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  test("shares the file in the current room; others get it, the terminal shows the link", async () => {
    const parley = await startTestParley({});
    cleanup.push(() => parley.close());
    const peer = sdkClient(`ws://127.0.0.1:${parley.port}/chat`, { nick: "peer" });
    cleanup.push(() => peer.close());
    const room = peer.join("share");
    await nextEvent(room, "joined");
    const file = join(tempDir(), "build log.txt");
    writeFileSync(file, "step 1 ok\nstep 2 failed\n");

    // The wait includes the terminal client's start: seconds on a loaded machine.
    const arrived = nextEvent(room, "message", (m) => m.file !== undefined, 30_000);
    const cli = runNode([
      ...RUN_SOURCES,
      "bin/parley.js",
      "connect",
      `ws://127.0.0.1:${parley.port}/chat/share`,
      "--nick",
      "termie",
    ]);
    cleanup.push(() => cli.proc.kill());
    cli.write(`/upload ${file}`);
    cli.write("/upload /no/such/file");
    cli.end();
    assert.equal(await cli.exited, 0, cli.stderr.join("\n"));
    const message = await arrived.catch((e: unknown) => {
      throw new Error(`${String(e)}; stdout ${cli.stdout.join("|")}; stderr ${cli.stderr.join("|")}`);
    });
    assert.equal(message.nick, "termie");
    assert.equal(message.file?.name, "build log.txt");
    assert.equal(message.file?.type, "text/plain; charset=utf-8");
    const body = await (await fetch(`http://127.0.0.1:${parley.port}/files/${message.file?.id}`)).text();
    assert.equal(body, "step 1 ok\nstep 2 failed\n");
    const shown = cli.stdout.filter(Boolean).map((l) => l.replace(/^\[\d\d:\d\d\] /, ""));
    assert.deepEqual(shown, [
      `termie: [file: build log.txt, 24 B, http://127.0.0.1:${parley.port}/files/${message.file?.id}]`,
    ]);
    assert.ok(
      cli.stderr.some((l) => l.includes("/no/such/file: no such file")),
      cli.stderr.join("\n"),
    );
  });
});
