import assert from "node:assert/strict";
import { test } from "node:test";
import { WriteHealth } from "../../src/service/observed.ts";

test("write health: a failed append stands until a write succeeds; a probe is tried at most once a second", async () => {
  const health = new WriteHealth();
  let probes = 0;
  let diskFull = true;
  const probe = async () => {
    probes++;
    if (diskFull) throw new Error("database or disk is full");
  };
  await health.check(probe, 0);
  assert.equal(probes, 0, "no probe while writes work");

  health.failed(new Error("database or disk is full"), 1000);
  await assert.rejects(health.check(probe, 5000), /writes have failed since .*: database or disk is full/);
  await assert.rejects(health.check(probe, 5500), /database or disk is full/);
  assert.equal(probes, 1, "the second check within a second did not probe again");

  diskFull = false;
  await assert.rejects(health.check(probe, 5900), /disk is full/, "no probe yet: still the last answer");
  await health.check(probe, 6000);
  assert.equal(probes, 2);
  await health.check(probe, 6100);
  assert.equal(probes, 2, "ready again, nothing more to probe");

  health.failed(new Error("SQLITE_CORRUPT"), 7000);
  health.succeeded(); // an append went through
  await health.check(probe, 7100);
  assert.equal(probes, 2);
});
