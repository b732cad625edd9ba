import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { UserStore } from "../../src/store/user-store.ts";

/** One kind of user store as the suite sees it. */
export interface UserStoreSubject {
  name: string;
  /** Why the suite cannot run here (loudly), or false. */
  skip?: () => Promise<string | false>;
  /** Fresh, empty storage for the suite; `open` gives a store on it (again after `close`: the same data). */
  fresh(): Promise<{ open(): Promise<UserStore>; cleanup(): Promise<void> }>;
  /** Data survives close and reopen. */
  durable: boolean;
  /** Several stores may be open on the same data at once (several nodes). */
  shared: boolean;
  /** Writes a reservation row as an older Parley stored it (its own key), behind the store's back. */
  writeReservation?(row: { nameKey: string; user: string; name: string }): Promise<void>;
}

/**
 * The UserStore contract, run against every implementation: read positions only move forward
 * and are kept per user and room, reserved names belong to the first user who took them and are
 * compared by look (case and lookalike letters do not make another name), room privacy set at run time is kept; durable ones keep it all across a
 * reopen, shared ones show one node's writes to another.
 */
export const userStoreSuite = (subject: UserStoreSubject): void => {
  describe(`UserStore contract: ${subject.name}`, async () => {
    const reason = (await subject.skip?.()) ?? false;
    let storage: Awaited<ReturnType<UserStoreSubject["fresh"]>>;
    const open: UserStore[] = [];
    const openStore = async () => {
      const store = await storage.open();
      await store.start();
      open.push(store);
      return store;
    };
    const closeAll = async () => {
      for (const store of open.splice(0)) await store.close();
    };
    before(async () => {
      if (!reason) storage = await subject.fresh();
    });
    after(async () => {
      await closeAll();
      if (!reason) await storage.cleanup();
    });

    test("read positions move forward only, per user and room", { skip: reason }, async () => {
      const store = await openStore();
      assert.deepEqual(await store.readPositions("ann"), new Map());
      assert.equal(await store.markRead("ann", "dev", 5), 5);
      assert.equal(await store.markRead("ann", "dev", 3), 5, "never back");
      assert.equal(await store.markRead("ann", "ops", 2), 2);
      assert.equal(await store.markRead("bob", "dev", 9), 9);
      // Marks made at once: each is answered with a position at least its own, the highest wins.
      const marks = await Promise.all([7, 6, 8].map((seq) => store.markRead("ann", "dev", seq)));
      for (const [i, seq] of [7, 6, 8].entries()) assert.ok((marks[i] as number) >= seq, `mark ${seq}: ${marks[i]}`);
      assert.deepEqual(
        await store.readPositions("ann"),
        new Map([
          ["dev", 8],
          ["ops", 2],
        ]),
      );
      assert.deepEqual(await store.readPositions("bob"), new Map([["dev", 9]]));
    });

    test("mentions: counted per room after the read position, once per message, kept", { skip: reason }, async () => {
      let store = await openStore();
      assert.deepEqual(await store.mentionCounts("men"), new Map());
      for (const seq of [3, 5, 5, 9]) await store.addMention("men", "dev", seq);
      await store.addMention("men", "ops", 2);
      await store.addMention("other", "dev", 4);
      assert.deepEqual(
        await store.mentionCounts("men"),
        new Map([
          ["dev", 3],
          ["ops", 1],
        ]),
      );
      await store.markRead("men", "dev", 5);
      await store.markRead("men", "ops", 2);
      if (subject.durable) {
        await closeAll();
        store = await openStore();
      }
      assert.deepEqual(await store.mentionCounts("men"), new Map([["dev", 1]]), "read past: no longer counted");
    });

    test("joined rooms: per user, in the order first joined, a leave removes one, kept", { skip: reason }, async () => {
      let store = await openStore();
      assert.deepEqual(await store.joinedRooms("jo"), []);
      for (const room of ["dev", "ops", "dev", "random"]) await store.setJoined("jo", room, true);
      await store.setJoined("other", "secret", true);
      await store.setJoined("jo", "ops", false);
      await store.setJoined("jo", "never-joined", false);
      if (subject.durable) {
        await closeAll();
        store = await openStore();
      }
      assert.deepEqual(await store.joinedRooms("jo"), ["dev", "random"]);
      assert.deepEqual(await store.joinedRooms("other"), ["secret"]);
    });

    test("reserved names: one per look, whatever the case, and the first user keeps it", { skip: reason }, async () => {
      const store = await openStore();
      assert.equal(await store.nameOwner("Alice"), undefined);
      assert.equal(await store.reserveName("u-1", "Alice"), "u-1");
      assert.equal(await store.nameOwner("alice"), "u-1");
      assert.equal(await store.nameOwner("ALICE"), "u-1");
      assert.equal(await store.nameOwner("\u0430lice"), "u-1", "Cyrillic а");
      assert.equal(await store.nameOwner("aIice"), "u-1", "capital I for l");
      assert.equal(await store.reserveName("u-1", "Alice"), "u-1", "again, on the next connection");
      assert.equal(await store.reserveName("u-2", "alice"), "u-1", "another user with the same name does not get it");
      assert.equal(await store.reserveName("u-2", "\u0430lice"), "u-1", "nor with a lookalike");
      assert.equal(await store.nameOwner("Alice"), "u-1");
      assert.equal(await store.reserveName("u-2", "alice-2"), "u-2");
      assert.equal(await store.nameOwner("Bob"), undefined);
    });

    test("room privacy set at run time is kept, public again included", { skip: reason }, async () => {
      const store = await openStore();
      await store.setRoomPrivacy("vault", true);
      await store.setRoomPrivacy("hall", true);
      await store.setRoomPrivacy("hall", false);
      assert.deepEqual(
        await store.roomPrivacy(),
        new Map([
          ["vault", true],
          ["hall", false],
        ]),
      );
    });

    // Cases that do not apply to an implementation (memory is not durable) are not registered, as in store-suite.ts.
    const durable = subject.durable ? test : () => {};
    const shared = subject.shared ? test : () => {};

    durable("durable: everything survives a reopen", { skip: reason }, async () => {
      const first = await openStore();
      await first.markRead("carol", "dev", 41);
      await first.reserveName("u-c", "Carol");
      await first.setRoomPrivacy("cellar", true);
      await closeAll();
      const again = await openStore();
      assert.deepEqual(await again.readPositions("carol"), new Map([["dev", 41]]));
      assert.equal(await again.nameOwner("carol"), "u-c");
      assert.equal((await again.roomPrivacy()).get("cellar"), true);
    });

    durable("durable: names reserved under an older key are found by today's key", { skip: reason }, async () => {
      await openStore(); // creates the tables
      await closeAll();
      // Before lookalikes counted, the key was the lower-cased name.
      await subject.writeReservation?.({ nameKey: "erin", user: "u-e", name: "Erin" });
      await subject.writeReservation?.({ nameKey: "erın", user: "u-f", name: "Er\u0131n" }); // dotless ı: a lookalike, later
      const again = await openStore();
      assert.equal(await again.nameOwner("erin"), "u-e");
      assert.equal(await again.nameOwner("ERIN"), "u-e");
      assert.equal(await again.reserveName("u-g", "Erin"), "u-e");
    });

    shared("shared: one node's writes are seen by another", { skip: reason }, async () => {
      const [a, b] = [await openStore(), await openStore()];
      await a.reserveName("u-d", "Dave");
      assert.equal(await b.nameOwner("dave"), "u-d");
      await a.markRead("dave", "dev", 3);
      assert.equal(await b.markRead("dave", "dev", 2), 3, "b's older mark does not move a's back");
      await b.setRoomPrivacy("attic", true);
      assert.equal((await a.roomPrivacy()).get("attic"), true);
    });
  });
};
