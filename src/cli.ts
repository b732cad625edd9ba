import { ConfigError, helpText, loadConfig } from "./config.ts";
import { startParley } from "./server.ts";

const main = async (): Promise<void> => {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(helpText());
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
  const stop = (signal: string) => {
    if (stopping) process.exit(1); // a second signal: leave now
    stopping = true;
    parley.log.info({ event: "shutdown", signal }, `Parley: ${signal}, shutting down`);
    const deadline = setTimeout(() => process.exit(1), 10_000);
    deadline.unref();
    parley.close().then(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
};

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`parley: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`parley: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
