import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { privacyAtStart, privacyReport } from "../../src/service/room-privacy.ts";

describe("--private-rooms against the stored set", () => {
  test("the flag seeds rooms the store does not know; an administrator's 'public' is kept", () => {
    const at = privacyAtStart(
      ["new", "vault", "opened"],
      new Map([
        ["vault", true],
        ["opened", false],
        ["other", true],
      ]),
    );
    assert.deepEqual(at, {
      seed: ["new"],
      keptPublic: ["opened"],
      notInFlag: ["other"],
      privateRooms: ["new", "other", "vault"],
    });
    const report = privacyReport(["new", "vault", "opened"], at);
    assert.equal(report?.level, "warn");
    assert.match(
      report?.message ?? "",
      /not in --private-rooms: other; .*made public by an administrator \(kept public\): opened/,
    );
  });

  test("a node without the flag follows the store and says so at info; a matching flag says nothing", () => {
    const stored = new Map([["vault", true]]);
    assert.deepEqual(privacyReport([], privacyAtStart([], stored)), {
      level: "info",
      message: "private rooms (from the store): vault",
    });
    assert.equal(privacyReport(["vault"], privacyAtStart(["vault"], stored)), undefined);
  });
});
