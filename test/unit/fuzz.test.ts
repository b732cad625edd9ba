import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { parseTextLine } from "../../src/chat/commands.ts";
import { isParleyError } from "../../src/chat/errors.ts";
import { Hub, type Member } from "../../src/chat/hub.ts";
import { MAX_NICK_LENGTH, nickKey, validateNick } from "../../src/chat/nick.ts";
import { MAX_ROOM_LENGTH, roomFromPath, validateRoomName } from "../../src/chat/room-name.ts";
import { type ClientFrame, decodeClientFrame } from "../../src/protocol/json.ts";
import { RateLimiter } from "../../src/transport/rate-limit.ts";
import { anyText, frameLike } from "../helpers/arbitraries.ts";

/** Runs `fn`; returns its value, or the ParleyError it threw. Anything else thrown fails the property. */
const outcome = <T>(fn: () => T): { value: T } | { code: string } => {
  try {
    return { value: fn() };
  } catch (error) {
    if (!isParleyError(error)) throw new Error(`not a ParleyError: ${String(error)}`);
    return { code: error.code };
  }
};

const KNOWN_ERRORS = new Set(["bad_json", "bad_request", "unknown_type"]);

const checkDecoded = (frame: ClientFrame, input: Record<string, unknown>): void => {
  assert.equal(frame.type, input.type);
  const strings: Record<ClientFrame["type"], string[]> = {
    send: ["text"],
    upload_ticket: ["room", "cid"],
    nick: ["nick"],
    join: ["room"],
    leave: ["room"],
    who: [],
    history: ["room"],
    auth: ["token"],
    typing: [],
    read: ["room"],
    edit: ["room", "text"],
    delete: ["room"],
    react: ["room", "emoji"],
    search: ["cid", "query"],
  };
  for (const key of strings[frame.type]) assert.equal(typeof (frame as Record<string, unknown>)[key], "string");
  for (const value of Object.values(frame)) {
    // Every string is well-formed Unicode: what is stored is what was broadcast.
    if (typeof value === "string") assert.equal(Buffer.from(value).toString("utf8"), value);
  }
  for (const key of ["since", "limit", "before"] as const) {
    const value = (frame as Record<string, unknown>)[key];
    if (value !== undefined) assert.ok(Number.isSafeInteger(value) && (value as number) >= 0, `${key}=${value}`);
  }
};

describe("fuzzing the decoders and the domain", () => {
  test("decodeClientFrame: any string is a valid frame or a ParleyError with a documented code", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyText,
          fc.json(),
          frameLike.map((f) => JSON.stringify(f)),
        ),
        (raw) => {
          const result = outcome(() => decodeClientFrame(raw));
          if ("code" in result) assert.ok(KNOWN_ERRORS.has(result.code), result.code);
          else checkDecoded(result.value, JSON.parse(raw) as Record<string, unknown>);
        },
      ),
      { numRuns: 3000 },
    );
  });

  test("parseTextLine: total, and only `/nick X` and `/who` are commands", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyText,
          anyText.map((s) => `/nick ${s}`),
          fc.constant("/who"),
        ),
        (line) => {
          const command = parseTextLine(line);
          if (command.kind === "say") assert.equal(command.text, line);
          else if (command.kind === "who") assert.equal(line, "/who");
          else assert.ok(line.startsWith("/nick ") && command.nick === line.slice(6).trim());
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("validateNick: NFKC, then exactly 1–32 code points, no controls, invisible or bidi characters, no outer spaces", () => {
    const control = (c: string) => {
      const n = c.codePointAt(0) as number;
      return n < 0x20 || (n >= 0x7f && n <= 0x9f) || n === 0x2028 || n === 0x2029;
    };
    const hidden = /[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]/u;
    const lookalikes = fc.constantFrom(
      "alice\u200b",
      "al\u200bice",
      "\u200d",
      "alice\u202e",
      "\uff41lice",
      "\ufb01",
      "a\u0301",
    );
    fc.assert(
      fc.property(fc.oneof(anyText, lookalikes, fc.string({ minLength: 30, maxLength: 34 })), (raw) => {
        const nick = raw.normalize("NFKC");
        const chars = [...nick];
        const expected =
          chars.length >= 1 &&
          chars.length <= MAX_NICK_LENGTH &&
          !chars.some(control) &&
          !hidden.test(nick) &&
          nick.trim() === nick;
        const result = outcome(() => validateNick(raw));
        if (expected) assert.deepEqual(result, { value: nick });
        else assert.deepEqual(result, { code: "bad_nick" });
      }),
      { numRuns: 3000 },
    );
  });

  test("room names: validateRoomName and roomFromPath give a valid name or bad_room, nothing else", () => {
    const valid = (room: string) => room.length <= MAX_ROOM_LENGTH && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(room);
    fc.assert(
      fc.property(
        fc.oneof(anyText, fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,70}$/)),
        fc.oneof(
          anyText,
          anyText.map((s) => `/chat/${s}`),
          fc.constantFrom("/", "/chat", "/chat/", "/chat/a/b"),
        ),
        (room, path) => {
          const named = outcome(() => validateRoomName(room));
          assert.deepEqual(named, valid(room) ? { value: room } : { code: "bad_room" });
          const fromPath = outcome(() => roomFromPath(path));
          if ("value" in fromPath) assert.ok(valid(fromPath.value), fromPath.value);
          else assert.equal(fromPath.code, "bad_room");
        },
      ),
      { numRuns: 3000 },
    );
  });

  test("Hub: any sequence of add, join, leave, rename and remove keeps both indexes and the nick registry consistent", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("add" as const), json: fc.boolean() }),
      fc.record({ kind: fc.constant("join" as const), who: fc.nat(), room: fc.constantFrom("a", "b", "c", "d") }),
      fc.record({ kind: fc.constant("leave" as const), who: fc.nat(), room: fc.constantFrom("a", "b", "c", "d") }),
      fc.record({
        kind: fc.constant("rename" as const),
        who: fc.nat(),
        nick: fc.oneof(fc.constantFrom("Ann", "ann", "Bob", "user-1", "ÅSA", "a\u0301"), fc.string({ maxLength: 40 })),
      }),
      fc.record({ kind: fc.constant("remove" as const), who: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 20, maxLength: 120, size: "max" }),
        fc.integer({ min: 1, max: 3 }),
        (ops, maxRooms) => {
          let seed = 1;
          const random = () => {
            seed = (seed * 16807) % 2147483647;
            return seed / 2147483647;
          };
          const hub = new Hub<null>({ random, maxRoomsPerMember: maxRooms });
          const live: Member<null>[] = [];
          const gone: string[] = [];
          for (const o of ops) {
            const member = o.kind === "add" ? undefined : live[o.who % Math.max(1, live.length)];
            if (o.kind === "add") live.push(hub.add(o.json ? "json" : "text", null));
            else if (!member) continue;
            else if (o.kind === "join") outcome(() => hub.join(member, o.room));
            else if (o.kind === "leave") outcome(() => hub.leave(member, o.room));
            else if (o.kind === "rename") {
              const before = member.nick;
              const result = outcome(() => hub.rename(member, o.nick));
              if ("value" in result && before !== member.nick) gone.push(before);
            } else {
              const roomsBefore = [...member.rooms].sort();
              const events = hub.remove(member);
              assert.deepEqual(events.map((e) => e.room).sort(), roomsBefore, "one leave per room it was in");
              assert.ok(events.every((e) => e.action === "leave" && e.nick === member.nick));
              live.splice(live.indexOf(member), 1);
              gone.push(member.nick);
            }
            // Invariants, after every step.
            assert.equal(hub.memberCount, live.length);
            const rooms = new Set(live.flatMap((m) => [...m.rooms]));
            assert.deepEqual(new Set(hub.roomNames()), rooms);
            for (const room of rooms) {
              assert.deepEqual(new Set(hub.membersOf(room)), new Set(live.filter((m) => m.rooms.has(room))));
            }
            const keys = live.map((m) => nickKey(m.nick));
            assert.equal(new Set(keys).size, keys.length, "nicknames unique by look, whatever the case");
            for (const m of live) {
              assert.ok(hub.isNickTaken(m.nick));
              assert.ok(m.rooms.size <= maxRooms);
            }
            for (const nick of gone) if (!keys.includes(nickKey(nick))) assert.ok(!hub.isNickTaken(nick), nick);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  test("RateLimiter: never lets more than burst + rate × time through, and always lets a patient sender through", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 100 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 300, size: "max" }),
        (perSecond, burst, gaps) => {
          const limiter = new RateLimiter({ perSecond, burst, strikes: 0, hold: 0 }, 0);
          let now = 0;
          let passed = 0;
          for (const gap of gaps) {
            now += gap;
            if (limiter.take(now)) passed++;
          }
          assert.ok(passed <= burst + (now / 1000) * perSecond + 1e-9, `${passed} passed in ${now} ms`);
          assert.equal(limiter.take(now + Math.ceil(1000 / perSecond) + 1), true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
