/**
 * `parley connect ws://…`: a terminal client. JSON mode (default) is built on the SDK, so it
 * reconnects, resumes and keeps unsent lines like the page does; `--text` speaks the Cookbook's
 * plain protocol (which has no resume, so no reconnect either).
 */
import { type Ack, type ChatMessage, connect, type Room } from "parley-client";
import WebSocket from "ws";
import { roomFromPath } from "../chat/room-name.ts";
import { ConversationCommands, updateLine } from "./conversation.ts";
import { clean, HELP, messageLine, presenceLine, stateLine, unknownCommand } from "./format.ts";
import { DRAIN_TIMEOUT_MS, eraseEnteredLine, lineReader } from "./prompt.ts";
import { runText } from "./text-mode.ts";
import { uploadPath } from "./upload.ts";

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
When input ends (Ctrl-D or end of a pipe), it waits (up to ${DRAIN_TIMEOUT_MS / 1000} s) for the
room's history and for the echo of every line sent, then exits.
`;

export interface TerminalIO {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  errors: NodeJS.WritableStream;
}

export interface ConnectArgs {
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
    const { rl, tty, show } = lineReader(io);
    const print = (line: string) => show(io.output, line);
    const note = (line: string) => show(io.errors, line);
    const emit = (event: string, payload: object) => print(JSON.stringify({ event, ...payload }));
    const { token } = args;
    // A fixed token cannot be refreshed: when it expires (close 4005) the client reconnects with it and is refused.
    const client = connect(args.url, { WebSocket, nick: args.nick, getToken: token ? () => token : undefined });
    const rooms = new Map<string, Room>();
    let current = args.room ?? roomFromPath(new URL(args.url).pathname);
    const sends = new Set<Promise<unknown>>();
    // The highest seq acked per room: input has drained once each room's echo has reached it.
    const acked = new Map<Room, number>();
    let inputEnded = false;
    let finished = false;
    let drainTimer: NodeJS.Timeout | undefined;
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      clearTimeout(drainTimer);
      rl.close();
      client.close().then(
        () => resolve(code),
        () => resolve(code),
      );
    };

    /** Once input has ended: exit when every room's history is shown and every line sent is acked and echoed. */
    const exitIfDrained = () => {
      if (!inputEnded || finished || sends.size > 0) return;
      for (const room of rooms.values()) if (room.lastSeq === undefined) return;
      for (const [room, seq] of acked) if (rooms.has(room.name) && (room.lastSeq ?? 0) < seq) return;
      finish(0);
    };

    // Where files are downloaded from: the page's origin of the WebSocket URL.
    const httpOrigin = ((u) => `${u.protocol === "wss:" ? "https:" : "http:"}//${u.host}`)(new URL(client.url));

    const enter = (name: string): Room => {
      const existing = rooms.get(name);
      if (existing) return existing;
      const room = client.join(name);
      rooms.set(name, room);
      const many = () => rooms.size > 1;
      const shown = (m: ChatMessage) =>
        messageLine(m, many(), m.replyTo === undefined ? undefined : room.message(m.replyTo)?.nick, httpOrigin);
      room.on("history", (page) => {
        if (args.json) emit("history", page);
        else for (const m of page.messages) print(shown(m));
      });
      room.on("message", (m) => {
        if (args.json) emit("message", m);
        else print(shown(m));
        exitIfDrained();
      });
      room.on("update", (u) => {
        if (args.json) emit("update", u);
        else print(updateLine(u));
        exitIfDrained();
      });
      room.on("presence", (p) => {
        if (args.json) emit("presence", p);
        else if (p.action !== "snapshot") print(presenceLine(p) ?? "");
      });
      room.on("joined", (j) => {
        if (args.json) emit("joined", j);
        else note(`* in #${j.room}`);
        exitIfDrained();
      });
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
        exitIfDrained();
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

    /** A line or change sent: its ack is awaited (and told), so piped input ends after its echo. */
    const track = (room: Room, sent: Promise<Ack>): void => {
      sends.add(sent);
      sent.then(
        (ack) => {
          if (args.json) emit("ack", ack);
          acked.set(room, Math.max(acked.get(room) ?? 0, ack.seq));
        },
        (e: Error) => note(`! not sent: ${e.message}`),
      );
      // `finally` passes a refusal on: handled here, it was told above (`! not sent`).
      sent
        .finally(() => {
          sends.delete(sent);
          exitIfDrained();
        })
        .catch(() => {});
    };
    const conversation = new ConversationCommands(note, track);

    const command = (line: string): void => {
      const [verb = "", ...rest] = line.slice(1).split(" ");
      const arg = rest.join(" ").trim();
      if ((verb === "nick" || verb === "join") && !arg) {
        note(`! /${verb} needs a ${verb === "nick" ? "NAME" : "ROOM"}`);
      } else if (verb === "nick") {
        client.setNick(arg).catch((e: Error) => note(`! ${e.message}`));
      } else if (verb === "join") {
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
      } else if (verb === "upload") {
        const room = rooms.get(current);
        if (!arg) note("! /upload needs a PATH");
        else if (!room) note("! you are not in a room; /join one");
        else track(room, uploadPath(room, arg));
      } else if (conversation.handles(verb)) {
        conversation.run(verb, arg, rooms.get(current));
      } else if (verb === "quit") {
        finish(0);
      } else if (verb === "help") {
        note(HELP);
      } else {
        note(unknownCommand(verb));
      }
    };

    rl.on("line", (raw) => {
      const line = raw.replace(/\r$/, "");
      if (line === "") {
        if (tty) rl.prompt();
        return;
      }
      if (line.startsWith("/") && !line.startsWith("//")) {
        command(line);
        if (tty && !finished) rl.prompt();
        return;
      }
      // The server's echo (printed above the prompt once it is stored) is the only copy of what you said.
      if (tty) {
        eraseEnteredLine(io.output);
        rl.prompt();
      }
      const room = rooms.get(current);
      if (!room) {
        note(`! you are not in a room; /join one`);
        return;
      }
      const sent = room.send(line.startsWith("//") ? line.slice(1) : line);
      sent.then((ack) => conversation.sent(room, ack.seq)).catch(() => {});
      track(room, sent);
    });
    // A terminal readline takes Ctrl-C for itself: without this it would only pause input.
    rl.on("SIGINT", () => finish(130));
    rl.on("close", () => {
      if (finished) return;
      // End of input: show the history and the echo of what was sent before leaving, within a bound.
      inputEnded = true;
      drainTimer = setTimeout(() => {
        const unsent = sends.size > 0 ? `; ${sends.size} line(s) not delivered` : "";
        note(
          `! gave up after ${DRAIN_TIMEOUT_MS / 1000} s waiting for the history and the echo of what was sent${unsent}`,
        );
        finish(1);
      }, DRAIN_TIMEOUT_MS);
      exitIfDrained();
    });
  });
