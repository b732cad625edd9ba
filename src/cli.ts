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

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`parley: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`parley: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
