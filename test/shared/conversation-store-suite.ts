import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChangeRequest, ChatMessage } from "../../src/chat/message.ts";
import type { AppendResult, HistoryStore } from "../../src/store/history-store.ts";

interface Ctx {
  durable: boolean;
  shared: boolean;
  reason: string | false;
  openStore(): Promise<HistoryStore>;
  closeAll(): Promise<void>;
}

const post = (store: HistoryStore, room: string, text: string, owner: string, extra: { replyTo?: number } = {}) =>
  store.append({ room, nick: owner.slice(2), text, ts: Date.now(), owner, replyTo: extra.replyTo });

const change = (
  store: HistoryStore,
  room: string,
  by: string,
  request: ChangeRequest,
  cid?: string,
): Promise<AppendResult> =>
  store.append({ room, nick: by.slice(2), text: "", ts: Date.now(), owner: by, change: request, cid });

const messageAt = async (store: HistoryStore, room: string, seq: number): Promise<ChatMessage | undefined> =>
  (await store.after(room, seq - 1, 1)).find((m) => m.seq === seq);

/** Edit, delete, react and reply as change events in the room's order (see history-store.ts). */
export const conversationStoreSuite = (ctx: Ctx): void => {
  const { reason } = ctx;

  test("an edit is an event with its own seq; the message keeps its new text, marked edited", {
    skip: reason,
  }, async () => {
    const store = await ctx.openStore();
    const first = await post(store, "conv-edit", "helo", "u:ann");
    const edit = await change(store, "conv-edit", "u:ann", { kind: "edit", target: 1, text: "hello" });
    assert.equal(edit.refused, undefined);
    assert.equal(edit.message.seq, 2, "the edit has the next seq");
    assert.equal(edit.message.change?.kind, "edit");
    assert.equal(edit.message.change?.target.text, "hello");
    assert.equal(edit.message.change?.target.id, first.message.id);
    const now = await messageAt(store, "conv-edit", 1);
    assert.equal(now?.text, "hello", "reads give the current text, never the old one");
    assert.equal(typeof now?.edited, "number");
    const latest = await store.latest("conv-edit", 10);
    assert.deepEqual(
      latest.map((m) => [m.seq, m.change?.kind ?? "message"]),
      [
        [1, "message"],
        [2, "edit"],
      ],
    );
    assert.equal((await store.bounds("conv-edit")).last, 2);
    await ctx.closeAll();
  });

  const ALL = Number.MAX_SAFE_INTEGER;

  test("unread counts messages only: edits, deletes and reactions after the position are not new messages", {
    skip: reason,
  }, async () => {
    const store = await ctx.openStore();
    await post(store, "conv-unread", "read already", "u:ann");
    await post(store, "conv-unread", "new", "u:ann");
    await change(store, "conv-unread", "u:ann", { kind: "edit", target: 2, text: "new, edited" });
    await change(store, "conv-unread", "u:bob", { kind: "react", target: 2, emoji: "👍" });
    await change(store, "conv-unread", "u:ann", { kind: "react", target: 1, emoji: "🎉" });
    assert.equal(
      await store.countMessages("conv-unread", 1, 5, ALL),
      1,
      "a message, its edit and two reactions: 1 unread",
    );
    await post(store, "conv-unread", "newer", "u:bob");
    await change(store, "conv-unread", "u:ann", { kind: "delete", target: 2 });
    assert.equal(
      await store.countMessages("conv-unread", 1, 7, ALL),
      2,
      "a deleted message is still there, as a tombstone",
    );
    assert.equal(await store.countMessages("conv-unread", 1, 5, ALL), 1, "nothing past upTo");
    assert.equal(
      await store.countMessages("conv-unread", 0, Number.MAX_SAFE_INTEGER, ALL),
      3,
      "never read: every message",
    );
    assert.equal(await store.countMessages("conv-unread", 7, 7, ALL), 0);
    assert.equal(await store.countMessages("nowhere", 0, 10, ALL), 0);
    assert.equal(await store.delete("conv-unread", 6), true);
    assert.equal(await store.countMessages("conv-unread", 1, 7, ALL), 1, "one an administrator removed is not counted");
    assert.equal(await store.countMessages("conv-unread", 0, 7, 1), 1, "the count stops at its limit");
    assert.equal(await store.countMessages("conv-unread", 0, 7, 3), 2, "a limit above the count changes nothing");
    await ctx.closeAll();
  });

  test("someone else's message: edit and delete are refused (forbidden), nothing stored", {
    skip: reason,
  }, async () => {
    const store = await ctx.openStore();
    await post(store, "conv-perm", "mine", "u:ann");
    const edit = await change(store, "conv-perm", "u:bob", { kind: "edit", target: 1, text: "yours" });
    assert.equal(edit.refused?.code, "forbidden");
    const del = await change(store, "conv-perm", "c:anon", { kind: "delete", target: 1 });
    assert.equal(del.refused?.code, "forbidden");
    const missing = await change(store, "conv-perm", "u:ann", { kind: "edit", target: 9, text: "x" });
    assert.equal(missing.refused?.code, "not_found");
    assert.equal((await store.bounds("conv-perm")).last, 1, "no seq taken by a refusal");
    assert.equal((await messageAt(store, "conv-perm", 1))?.text, "mine");
    await ctx.closeAll();
  });

  test("a delete leaves a tombstone: the text is gone from the store, edits after it are not_found", {
    skip: reason,
  }, async () => {
    const store = await ctx.openStore();
    await post(store, "conv-del", "secret", "u:ann");
    await change(store, "conv-del", "u:ann", { kind: "edit", target: 1, text: "secret two" });
    await change(store, "conv-del", "u:bob", { kind: "react", target: 1, emoji: "👍" });
    const del = await change(store, "conv-del", "u:ann", { kind: "delete", target: 1 });
    assert.equal(del.message.seq, 4);
    assert.deepEqual([del.message.change?.target.deleted, del.message.change?.target.text], [true, ""]);
    const all = await store.after("conv-del", 0, 10);
    assert.equal(JSON.stringify(all).includes("secret"), false, "no read holds the text any more");
    for (const m of all.filter((x) => x.change)) assert.equal(m.change?.target.deleted, true);
    const again = await change(store, "conv-del", "u:ann", { kind: "edit", target: 1, text: "back" });
    assert.equal(again.refused?.code, "not_found");
    await post(store, "conv-del", "bob's", "u:bob");
    const admin = await change(store, "conv-del", "u:root", { kind: "delete", target: 5, admin: true });
    assert.equal(admin.message.change?.target.deleted, true, "an administrator deletes any message");
    await ctx.closeAll();
  });

  test("reactions toggle by person, with who reacted; only one RGI emoji; caps per person", {
    skip: reason,
  }, async () => {
    const store = await ctx.openStore();
    await post(store, "conv-react", "lunch?", "u:ann");
    const r = (by: string, emoji: string, on?: boolean) =>
      change(store, "conv-react", by, { kind: "react", target: 1, emoji, on });
    await r("u:bob", "👍");
    await r("u:cat", "👍");
    const tone = await r("u:cat", "👍🏽");
    assert.deepEqual(tone.message.change?.target.reactions, [
      { emoji: "👍", nicks: ["bob", "cat"] },
      { emoji: "👍🏽", nicks: ["cat"] },
    ]);
    const off = await r("u:bob", "👍");
    assert.equal(off.message.change?.on, false, "a second time takes it back");
    const state = await messageAt(store, "conv-react", 1);
    assert.deepEqual(state?.reactions, [
      { emoji: "👍", nicks: ["cat"] },
      { emoji: "👍🏽", nicks: ["cat"] },
    ]);
    for (const emoji of ["🎉", "🍕", "🚀"]) await r("u:cat", emoji);
    const over = await r("u:cat", "🌮");
    assert.equal(over.refused?.code, "too_many_reactions");
    await ctx.closeAll();
  });

  test("a change is idempotent by cid: a retry answers the same seq, another change with it is a conflict", {
    skip: reason,
  }, async () => {
    const store = await ctx.openStore();
    await post(store, "conv-cid", "one", "u:ann");
    const edit = { kind: "edit", target: 1, text: "uno" } as const;
    const [a, b] = await Promise.all([
      change(store, "conv-cid", "u:ann", edit, "e1"),
      change(store, "conv-cid", "u:ann", edit, "e1"),
    ]);
    assert.equal(a.message.seq, b.message.seq);
    assert.deepEqual([a.duplicate, b.duplicate].sort(), [false, true]);
    const later = await change(store, "conv-cid", "u:ann", edit, "e1");
    assert.deepEqual([later.duplicate, later.conflict, later.message.seq], [true, false, 2]);
    const other = await change(store, "conv-cid", "u:ann", { kind: "edit", target: 1, text: "eins" }, "e1");
    assert.deepEqual([other.duplicate, other.conflict], [true, true]);
    assert.equal((await messageAt(store, "conv-cid", 1))?.text, "uno");
    assert.equal((await store.bounds("conv-cid")).last, 2);
    await ctx.closeAll();
  });

  test("a reply keeps its parent's seq; a change to a message of the same turn sees it", {
    skip: reason,
  }, async () => {
    const store = await ctx.openStore();
    const [, reply, edit] = await Promise.all([
      post(store, "conv-reply", "question", "c:x"),
      post(store, "conv-reply", "answer", "c:y", { replyTo: 1 }),
      change(store, "conv-reply", "c:y", { kind: "edit", target: 2, text: "better answer" }),
    ]);
    assert.equal(reply.message.replyTo, 1);
    assert.equal(edit.refused, undefined);
    const read = await messageAt(store, "conv-reply", 2);
    assert.deepEqual([read?.replyTo, read?.text], [1, "better answer"]);
    await ctx.closeAll();
  });

  const durable = ctx.durable ? test : () => {};
  durable("changes survive a reopen: state, owners and cids", { skip: reason }, async () => {
    let store = await ctx.openStore();
    await post(store, "conv-reopen", "typo", "u:ann");
    await change(store, "conv-reopen", "u:ann", { kind: "edit", target: 1, text: "fixed" }, "fix");
    await change(store, "conv-reopen", "u:bob", { kind: "react", target: 1, emoji: "❤️" });
    await ctx.closeAll();
    store = await ctx.openStore();
    const m = await messageAt(store, "conv-reopen", 1);
    assert.deepEqual([m?.text, m?.reactions], ["fixed", [{ emoji: "❤️", nicks: ["bob"] }]]);
    const repeat = await change(store, "conv-reopen", "u:ann", { kind: "edit", target: 1, text: "fixed" }, "fix");
    assert.deepEqual([repeat.duplicate, repeat.message.seq], [true, 2]);
    assert.equal(
      (await change(store, "conv-reopen", "u:bob", { kind: "delete", target: 1 })).refused?.code,
      "forbidden",
    );
    await ctx.closeAll();
  });
};
