/** `parley connect --text`: the Cookbook's plain protocol (no history, no resume, so no reconnect). */
import WebSocket from "ws";
import type { ConnectArgs, TerminalIO } from "./connect.ts";
import { clean } from "./format.ts";
import { DRAIN_TIMEOUT_MS, eraseEnteredLine, lineReader } from "./prompt.ts";

export const runText = (args: ConnectArgs, io: TerminalIO): Promise<number> =>
  new Promise((resolve) => {
    const { rl, tty, show } = lineReader(io);
    // Text mode offers no subprotocol, so a token travels in the URL, as the server reads it there.
    const url = new URL(args.url);
    if (args.token) url.searchParams.set("token", args.token);
    const ws = new WebSocket(url);
    const queued: string[] = [];
    // Lines said but not yet echoed back ("nick: text"), oldest first: input has drained when none are left.
    const unechoed: string[] = [];
    let inputDone = false;
    let interrupted = false;
    let drainTimer: NodeJS.Timeout | undefined;
    const closeIfDrained = () => {
      if (inputDone && unechoed.length === 0 && ws.readyState === WebSocket.OPEN) ws.close(1000);
    };
    ws.on("open", () => {
      show(io.errors, `* connected to ${args.url} (Cookbook text mode)`);
      if (args.nick) ws.send(`/nick ${args.nick}`);
      for (const line of queued.splice(0)) ws.send(line);
      closeIfDrained();
    });
    ws.on("message", (data) => {
      const text = String(data);
      show(io.output, clean(text));
      const next = unechoed[0];
      if (next !== undefined && text.endsWith(`: ${next}`)) unechoed.shift();
      closeIfDrained();
    });
    ws.on("error", (error) => show(io.errors, `! ${error.message}`));
    ws.on("close", (code, reason) => {
      clearTimeout(drainTimer);
      show(io.errors, `* disconnected (${code}${reason.length ? `: ${reason}` : ""})`);
      if (tty) rl.close();
      if (interrupted) resolve(130);
      else resolve(inputDone && code === 1000 && unechoed.length === 0 ? 0 : 1);
    });
    rl.on("line", (line) => {
      // The Cookbook server answers /commands itself; everything else comes back as "nick: text".
      if (line !== "" && !line.startsWith("/")) unechoed.push(line);
      if (tty && !line.startsWith("/")) eraseEnteredLine(io.output);
      if (tty) rl.prompt();
      if (ws.readyState === WebSocket.OPEN) ws.send(line);
      else queued.push(line);
    });
    rl.on("SIGINT", () => {
      interrupted = true;
      ws.close(1000);
    });
    rl.on("close", () => {
      if (inputDone) return;
      inputDone = true;
      drainTimer = setTimeout(() => {
        show(io.errors, `! gave up after ${DRAIN_TIMEOUT_MS / 1000} s waiting for the echo of what was sent`);
        ws.close(1000);
      }, DRAIN_TIMEOUT_MS);
      closeIfDrained();
    });
  });
