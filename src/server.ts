import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dotenv from 'dotenv';
import type { Logger } from 'pino';
import { createApp } from './app';
import { ConfigError, loadConfig } from './config';
import { createDeps, type AppDeps, type DepsOverrides } from './deps';
import { createLogger } from './logger';
import { StorageOpenError } from './storage/errors';
import { resumePendingWork } from './storage/resume';

export interface RunningServer {
  readonly server: Server;
  readonly deps: AppDeps;
  readonly url: string;
  /** Stops accepting, lets in-flight requests and running handlers finish (bounded), then resolves. */
  close(): Promise<void>;
}

/**
 * Loads the configuration, builds the app and listens. The only place that touches the environment,
 * listens or starts timers; exported so the end-to-end test can run it on port 0.
 */
export async function start(
  env: Readonly<Record<string, string | undefined>>,
  options: { logger?: Logger; overrides?: DepsOverrides } = {},
): Promise<RunningServer> {
  const config = loadConfig(env);
  const logger = options.logger ?? createLogger(config.logLevel);
  if (config.secretGenerated) {
    // Printed once, on purpose and outside the structured log, so the send-to-self example works at once.
    process.stderr.write(
      `\nWARNING: WEBHOOK_SECRET is not set. Generated a secret for this run only:\n\n  ${config.secrets[0]}\n\n` +
        'Set WEBHOOK_SECRET (in .env or the environment) to keep one across restarts. NODE_ENV=production refuses to start without it.\n\n',
    );
  }
  const deps = createDeps(config, logger, options.overrides);
  const app = createApp(deps);

  const server = createServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: config.port, host: config.host || undefined }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    deps.storage.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host && config.host !== '0.0.0.0' && config.host !== '::' ? config.host : '127.0.0.1'}:${port}`;
  logger.info({ port, url, secretCount: config.secrets.length, store: deps.storage.kind }, 'listening');
  const stopMaintenance = deps.storage.startMaintenance({ now: deps.now, logger });
  resumePendingWork(deps);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await deps.sender.stop();
      await stopped;
      await deps.processor.onIdle();
      stopMaintenance();
      deps.storage.close();
    })());

  return { server, deps, url, close };
}

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  let running: RunningServer;
  try {
    running = await start(process.env);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StorageOpenError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const { deps, close } = running;
  const shutdown = (signal: NodeJS.Signals): void => {
    deps.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      deps.logger.error({ timeoutMs: deps.config.shutdownTimeoutMs }, 'shutdown timed out; exiting with work unfinished');
      process.exit(1);
    }, deps.config.shutdownTimeoutMs);
    force.unref();
    void close().then(() => {
      deps.logger.info('stopped');
      process.exit(0);
    });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
