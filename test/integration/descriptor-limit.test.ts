import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DESCRIPTOR_RESERVE } from "../../src/transport/descriptor-limit.ts";
import { spawnParley } from "../helpers/child.ts";
import { RawClient } from "../helpers/raw.ts";

const linux = process.platform === "linux";

describe("the descriptor limit", { timeout: 60_000, skip: linux ? false : "reads /proc/self/limits (Linux)" }, () => {
  test("under ulimit -n 200 Parley says so at start, holds 72 WebSockets, then answers 503 instead of being reset by the kernel", async () => {
    const openFiles = 200;
    const cap = openFiles - DESCRIPTOR_RESERVE;
    const parley = await spawnParley(["--store", "memory"], {}, { openFiles });
    const clients: RawClient[] = [];
    try {
      const warning = parley
        .output()
        .split("\n")
        .find((line) => line.includes('"event":"descriptor_limit"'));
      assert.ok(warning, "a warning names the limit at start");
      assert.match(warning, new RegExp(`ulimit -n is ${openFiles}: at most ${cap} WebSocket connections`));
      // In groups, so the per-address cap on unfinished handshakes is not what answers.
      while (clients.length < cap) {
        const group = await Promise.all(
          Array.from({ length: Math.min(20, cap - clients.length) }, () => RawClient.open(parley.wsPort, "/")),
        );
        clients.push(...group);
      }
      assert.deepEqual(new Set(clients.map((c) => c.status)), new Set([101]));
      for (let i = 0; i < 5; i++) {
        const over = await RawClient.open(parley.wsPort, "/");
        assert.equal(over.status, 503, "past the fitted cap: an answer, not a reset");
        over.destroy();
      }
      const health = await fetch(`http://127.0.0.1:${parley.port}/healthz`);
      assert.equal(health.status, 200, "the node still answers its health check");
    } finally {
      for (const c of clients) c.destroy();
      parley.child.kill("SIGTERM");
      await parley.exited;
    }
  });
});
