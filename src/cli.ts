import { readFileSync } from "node:fs";
import { ConfigError, helpText, loadConfig } from "./config.ts";
import { startParley } from "./server.ts";

const main = async (): Promise<void> => {
  const argv = process.argv.slice(2);
  if (argv[0] === "connect") {
    await connectCommand(argv.slice(1));
    return;
  }
  if (argv.includes("--version") || argv.includes("-v")) {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return;
  }
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(
      `${helpText()}\nparley connect <ws-url> [--json]   a terminal client; see parley connect --help\n`,
    );
    return;
  }
  const config = loadConfig(argv, process.env);
  const parley = await startParley(config);
  const shown = config.host === "0.0.0.0" ? "localhost" : config.host;
  parley.log.info(
    { event: "listening", port: parley.port, wsPort: parley.wsPort, host: config.host },
    `Parley: page on http://${shown}:${parley.port}/ , WebSocket on ws://${shown}:${parley.wsPort}/ and ws://${shown}:${parley.port}/chat`,
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      parley.log.warn({ event: "shutdown_forced", signal }, `Parley: ${signal} again, exiting now`);
      parley.log.flush();
      process.exit(1);
    }
    stopping = true;
    parley.log.info({ event: "shutdown", signal }, `Parley: ${signal}, shutting down (a second signal exits at once)`);
    const deadline = setTimeout(() => {
      process.stderr.write(`parley: shutdown took longer than ${config.shutdownMs} ms; exiting\n`);
      process.exit(1);
    }, config.shutdownMs);
    deadline.unref();
    parley.close().then(
      () => {
        parley.log.info({ event: "stopped" }, "Parley: stopped");
        parley.log.flush();
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`parley: shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
};

/** `parley connect …`: the terminal client (src/terminal), loaded only when asked for. */
const connectCommand = async (argv: string[]): Promise<void> => {
  const { CONNECT_USAGE, runConnect, UsageError } = await import("./terminal/connect.ts");
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(CONNECT_USAGE);
    return;
  }
  // Piped into `head` or the like: a closed stdout ends the client quietly, like other Unix tools.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
  });
  try {
    process.exitCode = await runConnect(argv, { input: process.stdin, output: process.stdout, errors: process.stderr });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`parley connect: ${error.message}\n\n${CONNECT_USAGE}`);
    process.exitCode = 2;
  }
};

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`parley: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`parley: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
