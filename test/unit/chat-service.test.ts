import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MemoryBroker } from "../../src/broker/memory.ts";
import type { Mode } from "../../src/chat/hub.ts";
import { RoomAccess } from "../../src/chat/identity.ts";
import type { Closing } from "../../src/protocol/close-codes.ts";
import { textFrame } from "../../src/protocol/ws-frame.ts";
import { ChatService } from "../../src/service/chat-service.ts";
import { handleFrame } from "../../src/service/inbound.ts";
import type { Session } from "../../src/service/session.ts";
import { MemoryStore } from "../../src/store/memory.ts";
import { MemoryUserStore } from "../../src/store/memory-users.ts";
import type { ClientLink, ConnectionInfo } from "../../src/transport/client-link.ts";
import { Fanout } from "../../src/transport/fanout.ts";

/**
 * The service alone, against a fake link (no sockets), as Centrifuge tests its client
 * logic against a fake transport: what each client would read, frame by frame, in order.
 */
class FakeLink implements ClientLink {
  /** Every frame this client was sent, as it would reach the socket, in order. */
  readonly frames: Buffer[] = [];
  closed = false;
  closedWith: Closing | undefined;
  readonly bulkBudget = 64 * 1024;

  readonly info: ConnectionInfo;

  constructor(info: ConnectionInfo) {
    this.info = info;
  }

  send(payload: string): void {
    this.enqueue(textFrame(payload), false);
  }

  enqueue(frame: Buffer, _droppable: boolean): void {
    if (!this.closed) this.frames.push(frame);
  }

  flushWrites(): void {}

  close(closing: Closing): void {
    this.closed = true;
    this.closedWith = closing;
  }

  holdReading(): void {}
  releaseReading(): void {}

  drained(): Promise<boolean> {
    return Promise.resolve(!this.closed);
  }

  bulkSent(): Promise<boolean> {
    return Promise.resolve(!this.closed);
  }

  /** The text payloads of every frame received (a fan-out buffer may hold several frames). */
  get texts(): string[] {
    const out: string[] = [];
    for (const buffer of this.frames) {
      let at = 0;
      while (at < buffer.length) {
        let length = (buffer[at + 1] as number) & 0x7f;
        let start = at + 2;
        if (length === 126) {
          length = buffer.readUInt16BE(at + 2);
          start = at + 4;
        } else if (length === 127) {
          length = Number(buffer.readBigUInt64BE(at + 2));
          start = at + 10;
        }
        out.push(buffer.toString("utf8", start, start + length));
        at = start + length;
      }
    }
    return out;
  }

  /** The JSON events received (JSON mode). */
  get events(): Array<Record<string, unknown> & { type: string }> {
    return this.texts.map((text) => JSON.parse(text) as Record<string, unknown> & { type: string });
  }
}

/** The service with the transport's own fan-out writer, as the gateway gives it. */
const newService = () => {
  const fanout = new Fanout((room, visit) => service.recipients(room, visit));
  const service: ChatService = new ChatService({
    store: new MemoryStore(),
    broker: new MemoryBroker(),
    delivery: fanout,
    random: Math.random,
    now: Date.now,
    historyLimit: 50,
    maxHistoryLimit: 200,
    maxRoomsPerMember: 10,
    userAccess: {
      users: new MemoryUserStore(),
      access: new RoomAccess(),
      clockToleranceMs: 0,
      typingIntervalMs: 1000,
    },
  });
  return service;
};

const connect = (service: ChatService, mode: Mode, room = "lobby"): { link: FakeLink; session: Session } => {
  const link = new FakeLink({ mode, room, autoJoin: true, ip: "127.0.0.1" });
  return { link, session: service.open(link) };
};

const until = async (probe: () => boolean, what: string): Promise<void> => {
  const end = Date.now() + 2000;
  while (!probe()) {
    if (Date.now() > end) assert.fail(`not within 2 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
};

const joinedLobby = (link: FakeLink) => link.events.some((e) => e.type === "joined");

describe("ChatService against a fake link", () => {
  test("a JSON client is welcomed, then gets the room's presence snapshot, then joined", async () => {
    const service = newService();
    const { link, session } = connect(service, "json");
    await until(() => joinedLobby(link), "joined");
    const nick = session.member.nick;
    assert.deepEqual(
      link.events.map((e) => e.type),
      ["welcome", "presence", "joined"],
    );
    const [welcome, snapshot, joined] = link.events;
    assert.equal(welcome?.nick, nick);
    assert.deepEqual(welcome?.rooms, ["lobby"]);
    assert.deepEqual(snapshot, { type: "presence", room: "lobby", action: "snapshot", members: [nick] });
    assert.equal(joined?.room, "lobby");
    assert.equal(joined?.lastSeq, 0);
    service.closeAll();
  });

  test("send: the sender gets its ack before the message; everyone gets the messages in order", async () => {
    const service = newService();
    const a = connect(service, "json");
    const b = connect(service, "json");
    await until(() => joinedLobby(a.link) && joinedLobby(b.link), "both joined");
    handleFrame(service, a.session, JSON.stringify({ type: "send", text: "one", cid: "c1" }));
    handleFrame(service, a.session, JSON.stringify({ type: "send", text: "two", cid: "c2" }));
    const messages = (link: FakeLink) => link.events.filter((e) => e.type === "message");
    await until(() => messages(a.link).length === 2 && messages(b.link).length === 2, "two messages each");

    const sent = a.link.events.filter((e) => e.type === "ack" || e.type === "message");
    const at = (type: string, seq: number) => sent.findIndex((e) => e.type === type && e.seq === seq);
    assert.deepEqual(
      sent.filter((e) => e.type === "ack").map((e) => [e.cid, e.seq, e.duplicate]),
      [
        ["c1", 1, false],
        ["c2", 2, false],
      ],
    );
    assert.ok(at("ack", 1) < at("message", 1) && at("ack", 2) < at("message", 2), "each ack before its message");
    assert.deepEqual(
      messages(b.link).map((m) => [m.nick, m.text, m.seq]),
      [
        [a.session.member.nick, "one", 1],
        [a.session.member.nick, "two", 2],
      ],
    );
    assert.equal(b.link.events.filter((e) => e.type === "ack").length, 0, "no ack for someone else's message");
    service.closeAll();
  });

  test("a text-mode member gets `nick: text`, byte for byte, and ` .... nick has left.`", async () => {
    const service = newService();
    const cookbook = connect(service, "text");
    const json = connect(service, "json");
    await until(() => joinedLobby(json.link), "the JSON member joined");
    await until(() => service.hub.membersOf("lobby").size === 2, "both in the room");
    const before = cookbook.link.frames.length;
    handleFrame(service, json.session, JSON.stringify({ type: "send", text: "héllo, world", cid: "c1" }));
    await until(() => cookbook.link.frames.length > before, "the text member heard the message");
    const nick = json.session.member.nick;
    const heard = Buffer.concat(cookbook.link.frames.slice(before));
    assert.deepEqual(heard, textFrame(`${nick}: héllo, world`), "one text frame, the Cookbook's format");

    service.leave(json.session, "lobby");
    await until(() => cookbook.link.texts.at(-1) === ` .... ${nick} has left.`, "the leave line");
    assert.deepEqual(json.link.events.at(-1), { type: "left", room: "lobby" });
    service.closeAll();
  });
});
