import { ConfigError, helpText, loadConfig } from "./config.ts";
import { startParley } from "./server.ts";

const main = async (): Promise<void> => {
  const argv = process.argv.slice(2);
  if (argv[0] === "connect") {
    await connectCommand(argv.slice(1));
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
  process.stdout.write(
    `Parley: page on http://${shown}:${parley.port}/ , WebSocket on ws://${shown}:${parley.wsPort}/ and ws://${shown}:${parley.port}/chat\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1); // a second signal: leave now
    stopping = true;
    process.stdout.write(`Parley: ${signal}, shutting down\n`);
    const deadline = setTimeout(() => process.exit(1), 10_000);
    deadline.unref();
    parley.close().then(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
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
