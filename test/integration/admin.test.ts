import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { connect } from "../helpers/client.ts";
import { connectJson, historyMessages, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";
import { parsePrometheus, sampleValue } from "../helpers/prometheus.ts";

const TOKEN = "admin-token-for-tests-0123456789";

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

const call = async (port: number, method: string, path: string, body?: unknown, token = TOKEN): Promise<Answer> => {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`http://127.0.0.1:${port}/admin/api${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
};

describe("admin: off without a token", () => {
  test("/admin and /admin/api answer 404 when no admin token is configured", async () => {
    const parley = await startTestParley();
    try {
      assert.equal((await fetch(`http://127.0.0.1:${parley.port}/admin`)).status, 404);
      const api = await fetch(`http://127.0.0.1:${parley.port}/admin/api/rooms`, {
        headers: { Authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(api.status, 404);
    } finally {
      await parley.close();
    }
  });
});

describe("admin page and API", () => {
  let parley: RunningParley;
  let ws: string;
  const api = (method: string, path: string, body?: unknown, token?: string) =>
    call(parley.port, method, path, body, token);
  before(async () => {
    parley = await startTestParley({ adminToken: TOKEN });
    ws = `ws://127.0.0.1:${parley.wsPort}`;
  });
  after(() => parley.close());

  test("the page is served with a CSP and no inline script; its script stores no token", async () => {
    const page = await fetch(`http://127.0.0.1:${parley.port}/admin`);
    assert.equal(page.status, 200);
    const csp = page.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    const html = await page.text();
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) assert.match(tag, /\ssrc="/, "every script is a file");
    assert.doesNotMatch(html, /<script\b[^>]*>[^<]+<\/script>/, "no inline script body");
    assert.doesNotMatch(html, /\son[a-z]+=/i, "no inline event handlers");
    assert.match(html, /type="password"/);
    const script = await fetch(`http://127.0.0.1:${parley.port}/admin/admin.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get("content-type") ?? "", /javascript/);
    assert.doesNotMatch(await script.text(), /localStorage|sessionStorage|document\.cookie/);
  });

  test("the API refuses a missing or wrong token with 401 and accepts the right one", async () => {
    const missing = await api("GET", "/rooms", undefined, "");
    assert.equal(missing.status, 401);
    assert.match(missing.headers.get("www-authenticate") ?? "", /^Bearer/);
    assert.equal((await api("GET", "/rooms", undefined, `${TOKEN.slice(0, -1)}x`)).status, 401);
    assert.equal((await api("GET", "/rooms", undefined, "short")).status, 401);
    const raw = await fetch(`http://127.0.0.1:${parley.port}/admin/api/rooms`, { headers: { Authorization: TOKEN } });
    assert.equal(raw.status, 401, "the Bearer scheme is required");
    const ok = await api("GET", "/rooms");
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("cache-control"), "no-store");
  });

  test("rooms with member counts, and the members of a room", async () => {
    const a = await connectJson(`${ws}/chat/adm-a`);
    const a2 = await connectJson(`${ws}/chat/adm-a`);
    const nickA = String((await a.expect(ofType("welcome"))).nick);
    await a2.untilJoined("adm-a");
    const b = await connect(`${ws}/chat/adm-b`);
    b.send("/who");
    await b.next();
    const rooms = (await api("GET", "/rooms")).body.rooms as Array<{ room: string; members: number }>;
    assert.deepEqual(
      rooms.filter((r) => r.room.startsWith("adm-")),
      [
        { room: "adm-a", members: 2 },
        { room: "adm-b", members: 1 },
      ],
    );
    const members = (await api("GET", "/rooms/adm-a/members")).body.members as Array<Record<string, unknown>>;
    assert.equal(members.length, 2);
    const first = members.find((m) => m.nick === nickA);
    assert.deepEqual(first, { nick: nickA, mode: "json", ip: "127.0.0.1", rooms: ["adm-a"] });
    assert.equal((await api("GET", "/rooms/bad%20room!/members")).status, 400);
    await Promise.all([a.close(), a2.close(), b.close()]);
  });

  test("kick closes the member with 4003 (do not reconnect); the room sees the leave", async () => {
    const victim = await connectJson(`${ws}/chat/adm-kick`);
    const nick = String((await victim.expect(ofType("welcome"))).nick);
    await victim.untilJoined("adm-kick");
    const witness = await connectJson(`${ws}/chat/adm-kick`);
    await witness.untilJoined("adm-kick");
    const kicked = await api("POST", "/kick", { nick });
    assert.equal(kicked.status, 200);
    assert.equal((await victim.raw.closed).code, 4003);
    await witness.expect(ofType("presence", { action: "leave", nick }));
    assert.equal((await api("POST", "/kick", { nick })).status, 404, "nobody holds the nick any more");
    await witness.close();
  });

  test("a nick ban closes the holder with 4004 and refuses the nick to others until lifted", async () => {
    const holder = await connectJson(`${ws}/chat/adm-nick`);
    await holder.untilJoined("adm-nick");
    holder.send({ type: "nick", nick: "Mallory" });
    await holder.expect(ofType("nick", { nick: "Mallory" }));
    const banned = await api("POST", "/bans", { nick: "mallory", minutes: 10 });
    assert.equal(banned.status, 201);
    assert.equal(banned.body.closed, 1);
    assert.equal((await holder.raw.closed).code, 4004);

    const json = await connectJson(`${ws}/chat/adm-nick`);
    await json.untilJoined("adm-nick");
    json.send({ type: "nick", nick: "MALLORY" });
    assert.equal((await json.expect(ofType("error"))).code, "forbidden");
    const text = await connect(`${ws}/chat/adm-nick`);
    text.send("/nick Mallory");
    assert.match(await text.nextMatching((f) => f.startsWith(" .... ")), /banned/);
    const bans = (await api("GET", "/bans")).body.bans as Array<Record<string, unknown>>;
    assert.ok(bans.some((b) => b.kind === "nick" && b.value === "mallory" && Number(b.until) > Date.now()));

    assert.equal((await api("DELETE", "/bans/nick/MALLORY")).status, 200);
    json.send({ type: "nick", nick: "Mallory" });
    await json.expect(ofType("nick", { nick: "Mallory" }));
    await Promise.all([json.close(), text.close()]);
  });

  test("an IP ban closes that address's connections with 4004 and refuses new ones with 403", async () => {
    const text = await connect(`${ws}/chat/adm-ip`);
    const json = await connectJson(`${ws}/chat/adm-ip`);
    await json.untilJoined("adm-ip");
    const banned = await api("POST", "/bans", { ip: "127.0.0.1", minutes: 5 });
    assert.equal(banned.status, 201);
    assert.equal(banned.body.closed, 2);
    assert.equal((await text.closed).code, 4004);
    assert.equal((await json.raw.closed).code, 4004);
    await assert.rejects(connect(`${ws}/chat/adm-ip`), /403/);
    await assert.rejects(connect(`ws://127.0.0.1:${parley.port}/chat`), /403/, "on the page's port too");
    assert.equal((await api("DELETE", "/bans/ip/127.0.0.1")).status, 200);
    const back = await connect(`${ws}/chat/adm-ip`);
    await back.close();
  });

  test("deleting a message removes it from history and from connected JSON clients' views", async () => {
    const room = "adm-del";
    const author = await connectJson(`${ws}/chat/${room}`);
    await author.untilJoined(room);
    for (const text of ["keep one", "delete me", "keep two"]) {
      author.send({ type: "send", text, cid: text });
      await author.expect(ofType("ack", { cid: text }));
    }
    const listed = (await api("GET", `/rooms/${room}/messages`)).body.messages as Array<Record<string, unknown>>;
    const target = listed.find((m) => m.text === "delete me");
    assert.ok(target);
    const deleted = await api("DELETE", `/rooms/${room}/messages/${target.seq}`);
    assert.equal(deleted.status, 200);
    // The same tombstone as an author's delete: a change event with its own seq (`at`), v1's `seq` the message's.
    const event = await author.expect(ofType("delete"));
    assert.deepEqual([event.room, event.seq, event.at, event.nick], [room, target.seq, 4, "admin"]);
    assert.deepEqual(event.message, {
      room,
      seq: target.seq,
      id: target.id,
      nick: target.nick,
      text: "",
      ts: target.ts,
      deleted: true,
    });

    const late = await connectJson(`${ws}/chat/${room}`);
    const shown = historyMessages((await late.untilJoined(room)).history).map((m) => [m.text, m.deleted ?? false]);
    assert.deepEqual(shown, [
      ["keep one", false],
      ["", true],
      ["keep two", false],
    ]);
    assert.equal((await api("DELETE", `/rooms/${room}/messages/${target.seq}`)).status, 404);
    await Promise.all([author.close(), late.close()]);
  });

  test("bad requests get 400 with a reason, unknown endpoints 404", async () => {
    assert.equal((await api("POST", "/bans", { nick: "x", minutes: 0 })).status, 400);
    assert.equal((await api("POST", "/bans", { ip: "not-an-ip", minutes: 5 })).status, 400);
    assert.equal((await api("POST", "/bans", "{not json")).status, 400);
    assert.equal((await api("POST", "/kick", {})).status, 400);
    assert.equal((await api("GET", "/nothing-here")).status, 404);
    assert.equal((await api("PUT", "/rooms")).status, 405);
  });
});

describe("admin: guessing the token is slowed per address", () => {
  let parley: RunningParley;
  before(async () => {
    parley = await startTestParley({ adminToken: TOKEN });
  });
  after(() => parley.close());

  /** One API call from `localAddress` (any 127.x.y.z looks like another client). */
  const callFrom = (agent: Agent, localAddress: string, token: string) =>
    new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: parley.port,
          path: "/admin/api/rooms",
          agent,
          localAddress,
          headers: { Authorization: `Bearer ${token}` },
        },
        (res) => {
          res.resume();
          const retry = res.headers["retry-after"];
          res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: retry }));
        },
      );
      req.on("error", reject);
      req.end();
    });

  test("after a few wrong tokens an address gets 429 with Retry-After; a right token from elsewhere still works", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const wrong = (i: number) => callFrom(agent, "127.0.0.3", `wrong-token-${i}-0123456789abcdef`);
    for (let i = 0; i < 5; i++) assert.equal((await wrong(i)).status, 401, "five wrong tokens are answered");
    // Now the address waits (1 s): not even the right token is checked from it.
    const blocked = await callFrom(agent, "127.0.0.3", TOKEN);
    assert.equal(blocked.status, 429);
    assert.equal(blocked.retryAfter, "1");

    const tries = 300;
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: tries }, (_, i) => wrong(5 + i)));
    const seconds = (Date.now() - started) / 1000;
    const checked = answers.filter((a) => a.status === 401).length;
    // Each wait is twice the last (1 s, 2 s, 4 s …): a flood lasting `seconds` gets that many more tries checked, at most.
    assert.ok(checked <= Math.floor(Math.log2(seconds + 1)), `${checked} more checked in ${seconds} s`);
    const refused = answers.filter((a) => a.status === 429);
    assert.equal(refused.length, tries - checked);
    for (const answer of refused) assert.ok(Number(answer.retryAfter) >= 1);

    // The administrator, elsewhere: unaffected.
    assert.equal((await callFrom(agent, "127.0.0.1", TOKEN)).status, 200);
    // Once its wait is over, the address's right token works (and clears its record).
    let status = 429;
    for (let i = 0; status === 429 && i < 40; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = (await callFrom(agent, "127.0.0.3", TOKEN)).status;
    }
    assert.equal(status, 200);
    assert.equal((await wrong(999)).status, 401, "a fresh start after the right token");

    const metrics = parsePrometheus(await (await fetch(`http://127.0.0.1:${parley.port}/metrics`)).text());
    assert.equal(sampleValue(metrics, "parley_admin_refused_total", { reason: "token" }), 5 + checked + 1);
    assert.ok(sampleValue(metrics, "parley_admin_refused_total", { reason: "throttled" }) >= 1 + refused.length);
    agent.destroy();
  });
});
