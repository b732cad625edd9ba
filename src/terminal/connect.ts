/**
 * `parley connect ws://…`: a terminal client. JSON mode (default) is built on the SDK, so it
 * reconnects, resumes and keeps unsent lines like the page does; `--text` speaks the Cookbook's
 * plain protocol (which has no resume, so no reconnect either).
 */
import { createInterface } from "node:readline";
import { connect, type Room } from "parley-client";
import WebSocket from "ws";
import { roomFromPath } from "../chat/room-name.ts";
import { clean, HELP, messageLine, presenceLine, stateLine } from "./format.ts";

export const CONNECT_USAGE = `Usage: parley connect <ws-url> [--json] [--text] [--nick NAME] [--room ROOM]
                      [--token JWT]

  Chat from a terminal. The URL's path picks the first room
  (/ and /chat: lobby, /chat/<room>).
  --json        print every event as one JSON object per line (for scripts)
  --text        speak the Cookbook's plain-text protocol instead
                (no history, no reconnect)
  --nick NAME   take this nickname on every (re)connect
  --room ROOM   start in ROOM instead of the URL's room
  --token JWT   sign in with this token (or set PARLEY_TOKEN, which stays out
                of the process list); you chat under the token's name.
                JSON mode sends it as a subprotocol, --text as ?token=

${HELP}
When input ends (Ctrl-D or end of a pipe), unsent lines are delivered first,
then it exits.
`;

export interface TerminalIO {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  errors: NodeJS.WritableStream;
}

interface ConnectArgs {
  url: string;
  json: boolean;
  text: boolean;
  nick?: string;
  room?: string;
  token?: string;
}

export class UsageError extends Error {}

export const parseConnectArgs = (argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ConnectArgs => {
  const args: Partial<ConnectArgs> & { json: boolean; text: boolean } = { json: false, text: false };
  if (env.PARLEY_TOKEN) args.token = env.PARLEY_TOKEN;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--json") args.json = true;
    else if (arg === "--text") args.text = true;
    else if (arg === "--nick" || arg === "--room" || arg === "--token") {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value.`);
      args[arg.slice(2) as "nick" | "room" | "token"] = value;
    } else if (arg.startsWith("--")) throw new UsageError(`Unknown option ${arg}.`);
    else if (args.url === undefined) args.url = arg;
    else throw new UsageError(`Unexpected argument "${arg}".`);
  }
  if (!args.url || !/^wss?:\/\//.test(args.url)) throw new UsageError("Give a ws:// or wss:// URL.");
  if (args.json && args.text) throw new UsageError("--json and --text do not go together.");
  if (args.token && args.nick)
    throw new UsageError("--nick and a token do not go together: you chat under the token's name.");
  return args as ConnectArgs;
};

/** Runs the client until input ends or the server says stop; resolves with the exit code. */
export const runConnect = (argv: readonly string[], io: TerminalIO): Promise<number> => {
  const args = parseConnectArgs(argv);
  return args.text ? runText(args, io) : runJson(args, io);
};

const runJson = (args: ConnectArgs, io: TerminalIO): Promise<number> =>
  new Promise((resolve) => {
    const print = (line: string) => io.output.write(`${line}\n`);
    const note = (line: string) => io.errors.write(`${line}\n`);
    const emit = (event: string, payload: object) => print(JSON.stringify({ event, ...payload }));
    const { token } = args;
    // A fixed token cannot be refreshed: when it expires (close 4005) the client reconnects with it and is refused.
    const client = connect(args.url, { WebSocket, nick: args.nick, getToken: token ? () => token : undefined });
    const rooms = new Map<string, Room>();
    let current = args.room ?? roomFromPath(new URL(args.url).pathname);
    const sends = new Set<Promise<unknown>>();
    let finished = false;
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      rl.close();
      client.close().then(
        () => resolve(code),
        () => resolve(code),
      );
    };

    const enter = (name: string): Room => {
      const existing = rooms.get(name);
      if (existing) return existing;
      const room = client.join(name);
      rooms.set(name, room);
      const many = () => rooms.size > 1;
      room.on("history", (page) => {
        if (args.json) emit("history", page);
        else for (const m of page.messages) print(messageLine(m, many()));
      });
      room.on("message", (m) => (args.json ? emit("message", m) : print(messageLine(m, many()))));
      room.on("presence", (p) => {
        if (args.json) emit("presence", p);
        else if (p.action !== "snapshot") print(presenceLine(p) ?? "");
      });
      room.on("joined", (j) => (args.json ? emit("joined", j) : note(`* in #${j.room}`)));
      room.on("resume-incomplete", (r) =>
        args.json ? emit("resume-incomplete", r) : note(`* #${r.room}: some messages are too old to recover`),
      );
      room.on("error", (e) =>
        args.json ? emit("error", { code: e.code, message: e.message }) : note(`! ${e.message}`),
      );
      room.on("left", (l) => {
        rooms.delete(l.room);
        if (args.json) emit("left", l);
        else note(`* left #${l.room}`);
      });
      return room;
    };

    client.on("state", (s) => {
      if (args.json) emit("state", s);
      else {
        const line = stateLine(s, args.url);
        if (line) note(line);
      }
      if (s.state === "disconnected" && !finished) finish(1); // the server said stop
    });
    client.on("auth", (a) => {
      if (args.json) emit("auth", a);
      else if (a.state === "signed-in") note(`* signed in as ${clean(a.user?.name ?? "")}`);
      else if (a.state === "signed-out") note(`! signed out: ${a.reason ?? "the token was refused"}`);
      // A fixed token that was refused will not be accepted on a retry: stop rather than retry forever.
      if (a.state === "signed-out" && !finished) finish(1);
    });
    client.on("nick", (n) => (args.json ? emit("nick", n) : note(`* you are ${clean(n.nick)}`)));
    client.on("error", (e) =>
      args.json ? emit("error", { code: e.code, message: e.message }) : note(`! ${e.message}`),
    );
    enter(current);

    const command = (line: string): void => {
      const [verb = "", ...rest] = line.slice(1).split(" ");
      const arg = rest.join(" ").trim();
      if (verb === "nick" && arg) {
        client.setNick(arg).catch((e: Error) => note(`! ${e.message}`));
      } else if (verb === "join" && arg) {
        current = arg.replace(/^#/, "");
        enter(current);
      } else if (verb === "leave") {
        rooms
          .get(arg.replace(/^#/, "") || current)
          ?.leave()
          .catch((e: Error) => note(`! ${e.message}`));
      } else if (verb === "who") {
        const room = rooms.get(current);
        note(`* in #${current}: ${room ? room.members.map(clean).join(", ") : "(not joined)"}`);
      } else if (verb === "quit") {
        finish(0);
      } else {
        note(HELP);
      }
    };

    const rl = createInterface({ input: io.input, terminal: false });
    rl.on("line", (raw) => {
      const line = raw.replace(/\r$/, "");
      if (line === "") return;
      if (line.startsWith("/") && !line.startsWith("//")) {
        command(line);
        return;
      }
      const room = rooms.get(current);
      if (!room) {
        note(`! you are not in a room; /join one`);
        return;
      }
      const sent = room.send(line.startsWith("//") ? line.slice(1) : line);
      sends.add(sent);
      sent.then(
        (ack) => {
          if (args.json) emit("ack", ack);
        },
        (e: Error) => note(`! not sent: ${e.message}`),
      );
      // `finally` passes a refusal on: handled here, it was told above (`! not sent`).
      sent.finally(() => sends.delete(sent)).catch(() => {});
    });
    rl.on("close", () => {
      // End of input: deliver what is still waiting, then leave.
      void Promise.allSettled([...sends]).then(() => finish(0));
    });
  });

const runText = (args: ConnectArgs, io: TerminalIO): Promise<number> =>
  new Promise((resolve) => {
    // Text mode offers no subprotocol, so a token travels in the URL, as the server reads it there.
    const url = new URL(args.url);
    if (args.token) url.searchParams.set("token", args.token);
    const ws = new WebSocket(url);
    const queued: string[] = [];
    let inputDone = false;
    ws.on("open", () => {
      io.errors.write(`* connected to ${args.url} (Cookbook text mode)\n`);
      if (args.nick) ws.send(`/nick ${args.nick}`);
      for (const line of queued.splice(0)) ws.send(line);
      if (inputDone) ws.close(1000);
    });
    ws.on("message", (data) => io.output.write(`${clean(String(data))}\n`));
    ws.on("error", (error) => io.errors.write(`! ${error.message}\n`));
    ws.on("close", (code, reason) => {
      io.errors.write(`* disconnected (${code}${reason.length ? `: ${reason}` : ""})\n`);
      resolve(inputDone && code === 1000 ? 0 : 1);
    });
    const rl = createInterface({ input: io.input, terminal: false });
    rl.on("line", (line) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(line);
      else queued.push(line);
    });
    rl.on("close", () => {
      inputDone = true;
      // Give the server a moment to echo the last lines before closing.
      if (ws.readyState === WebSocket.OPEN) setTimeout(() => ws.close(1000), 200);
    });
  });
