import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import dotenv from 'dotenv';
import type { Logger } from 'pino';
import { collectDefaultMetrics } from 'prom-client';
import { createApp } from './app';
import { ConfigError, loadConfig } from './config';
import { createDeps, type AppDeps, type DepsOverrides } from './deps';
import { startEventLoopMonitor } from './health/event-loop';
import { createLogger, flushLogger, prettyDestination } from './logger';
import { forwardingNotice } from './sender/forward';
import { RECOVERY_RESUME_INTERVAL_MS } from './endpoints/recovery';
import { openStorage } from './storage/create-storage';
import { StorageOpenError } from './storage/errors';
import { keepGeneratedSecret } from './storage/kept-secret';
import { PostgresOpenError } from './storage/postgres/database';
import { resumePendingWork } from './storage/resume';

/**
 * How often Node checks headersTimeout and requestTimeout (its default is 30 s, which would let a slow
 * client hold a socket up to 30 s past a 10 s headersTimeout): a quarter of headersTimeout, 50 ms to 5 s.
 */
export function connectionsCheckingIntervalMs(headersTimeoutMs: number): number {
  return Math.min(5_000, Math.max(50, Math.floor(headersTimeoutMs / 4)));
}

/**
 * Answers what Node's HTTP parser refuses before Express sees a request (headers over 16 KB, a request that
 * timed out, a malformed request line) with the same JSON error body as everything else: Node's own answer
 * has an empty body.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers.too_large', 'The request headers are larger than the server accepts (16 KB).']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request.timeout', 'The request was not received in time (HEADERS_TIMEOUT_MS / REQUEST_TIMEOUT_MS).']
        : [400, 'request.malformed', 'The request is not valid HTTP.'];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** A port that is taken or not allowed, or a HOST that is not this machine's: stops start-up with a hint. */
export class ListenError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'ListenError';
  }
}

/** What `listen` failed with, said so that the fix is in the message. */
export function listenError(error: unknown, port: number, host: string): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const on = host === '' ? '' : ` on ${host}`;
  if (code === 'EADDRINUSE') {
    return new ListenError(
      `Port ${port}${on} is already in use (another copy of this server, or another program). Stop it, or set PORT to a free port: PORT=${port === 65_535 ? 3006 : port + 1} npm start`,
      { cause: error },
    );
  }
  if (code === 'EACCES') {
    return new ListenError(`Port ${port}${on} needs privileges this process does not have (ports below 1024 usually do). Set PORT to 1024 or above, e.g. PORT=3005.`, { cause: error });
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ListenError(`HOST=${host} is not an address of this machine. Leave HOST empty to listen on every interface, or set HOST=127.0.0.1 for this machine only.`, { cause: error });
  }
  return error;
}

/**
 * Where the server listens, for the "listening" line: the bound address (`::` or `0.0.0.0` are every
 * interface, which is what an empty HOST means) and the URL to open on this machine.
 */
export function listeningAt({ address, port }: AddressInfo): { address: string; port: number; interfaces: 'all' | 'one'; url: string } {
  const every = address === '::' || address === '0.0.0.0';
  const host = every ? 'localhost' : address.includes(':') ? `[${address}]` : address;
  return { address, port, interfaces: every ? 'all' : 'one', url: `http://${host}:${port}/` };
}

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
  let config = loadConfig(env);
  const logger = options.logger ?? createLogger(config.logLevel, config.logFormat === 'pretty' ? prettyDestination() : undefined);
  // A generated WEBHOOK_SECRET lasts with a durable store: the first one is kept there and reused. Read before
  // the app's stores open, since the SQLite seal of per-request secrets is keyed by it.
  const keeps = config.secretGenerated && config.store !== 'memory' && !options.overrides?.storage;
  if (keeps) {
    const settings = await openStorage(config);
    try {
      config = (await keepGeneratedSecret(config, settings)).config;
    } finally {
      await settings.close();
    }
  }
  // Not fatal, but an operator must hear them: an unknown NODE_ENV, GitHub replays guarded by memory only.
  for (const warning of config.warnings) logger.warn(warning);
  // Opened before anything starts: PostgreSQL connects and migrates (asynchronously); a failure stops start-up.
  const storage = options.overrides?.storage ?? (await openStorage(config));
  const monitor = startEventLoopMonitor();
  const deps = createDeps(config, logger, { eventLoop: monitor.snapshot, ...options.overrides, storage });
  // Process metrics (CPU, memory, GC, handles) on the app's own registry; here, because they sample.
  collectDefaultMetrics({ register: deps.metrics.registry });
  const app = createApp(deps);

  // Timeouts, so a slow or idle client cannot hold a connection forever (Slowloris).
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = config.security;
  const server = createServer({
    // Answered by the app instead (middleware/require-host.ts), with a JSON body rather than Node's empty 400.
    requireHostHeader: false,
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    connectionsCheckingInterval: connectionsCheckingIntervalMs(headersTimeoutMs),
  });
  // Responses in flight, so that shutdown can make their keep-alive connections close once they are answered:
  // otherwise such a connection stays open, and takes new requests, until keepAliveTimeout. Kept per
  // connection (its latest request's response; a pipelined earlier one is answered before it, and the latest
  // then closes the connection), so a request adds no listener and no closure: the former per-request
  // `res.once('close')` and the second 'request' listener cost 1 to 2 µs per webhook (issue 13).
  const inFlight = new Map<Duplex, ServerResponse>();
  let shuttingDown = false;
  server.on('connection', (socket: Duplex) => {
    socket.once('close', () => inFlight.delete(socket));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (shuttingDown) res.setHeader('connection', 'close');
    inFlight.set(req.socket, res);
    app(req, res);
  });
  server.on('clientError', answerClientError);
  // With PostgreSQL: the other instances' history into this feed, abandoned processing into this queue. Before
  // listening, so that the first page opened here already streams what the other instances receive.
  const stopMaintenance = deps.storage.startMaintenance({ now: deps.now, logger, feed: deps.feed, work: deps.processor });
  await deps.storage.ready?.();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: config.port, host: config.host || undefined }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    monitor.stop();
    stopMaintenance();
    await deps.storage.close();
    throw listenError(error, config.port, config.host);
  }
  const where = listeningAt(server.address() as AddressInfo);
  logger.info({ ...where, secretCount: config.secrets.length, store: deps.storage.kind }, 'listening');
  const forwarding = forwardingNotice({ ...config, forwardSecretSet: config.forwardSecret !== '' });
  if (forwarding) logger.info(forwarding, `forwarding every accepted webhook to ${forwarding.forwardUrl}, signed in the scheme it arrived in; verify with the secret in verifyWith`);
  if (config.secretGenerated) {
    // Printed once, on purpose and outside the structured log, so the send-to-self example works at once; only
    // now that start-up has succeeded, so a failed start never shows a secret that nothing uses.
    const lasting = keeps
      ? `WEBHOOK_SECRET is not set. Using the generated secret kept in the store (STORE=${config.store}), the same after a restart:`
      : 'WEBHOOK_SECRET is not set. Generated a secret for this run only:';
    process.stderr.write(
      `\nWARNING: ${lasting}\n\n  ${config.secrets[0]}\n\n` +
        `Set WEBHOOK_SECRET (in .env or the environment) ${keeps ? 'to choose your own' : 'to keep one across restarts'}. NODE_ENV=production refuses to start without it.\n\n`,
    );
  }
  // For tests and callers in this process: an address that is certainly this machine, without a trailing slash.
  const url = where.interfaces === 'all' ? `http://127.0.0.1:${where.port}` : where.url.slice(0, -1);
  await resumePendingWork(deps);
  // Endpoint recovery jobs cut short (a crash here, or another instance's death with PostgreSQL) go on here.
  const stopResuming = deps.recoveries.startResuming(deps.storage.kind === 'postgres' ? RECOVERY_RESUME_INTERVAL_MS : undefined);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      shuttingDown = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      deps.feed.close(); // ends the live streams, which would otherwise hold server.close() open
      server.closeIdleConnections();
      for (const res of inFlight.values()) if (!res.headersSent) res.setHeader('connection', 'close');
      stopResuming();
      await deps.recoveries.idle();
      await deps.sender.stop();
      await stopped;
      await deps.processor.onIdle();
      await deps.closeFetch();
      monitor.stop();
      stopMaintenance();
      await deps.storage.close();
    })());

  return { server, deps, url, close };
}

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  // The handlers go in before the server listens: a signal that arrives once "listening" is logged (or while
  // starting) must shut down gracefully, not kill the process with the signal's default action.
  let running: RunningServer | undefined;
  let requested: NodeJS.Signals | undefined;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (!running) {
      requested = signal; // still starting: shut down as soon as the server is up
      return;
    }
    const { deps, close } = running;
    deps.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      deps.logger.error({ timeoutMs: deps.config.shutdownTimeoutMs }, 'shutdown timed out; exiting with work unfinished');
      void flushLogger(deps.logger).finally(() => process.exit(1));
    }, deps.config.shutdownTimeoutMs);
    force.unref();
    close().then(
      async () => {
        deps.logger.info('stopped');
        await flushLogger(deps.logger);
        process.exit(0);
      },
      async (error: unknown) => {
        deps.logger.error({ err: error }, 'shutdown failed');
        await flushLogger(deps.logger);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  try {
    running = await start(process.env);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StorageOpenError || error instanceof PostgresOpenError || error instanceof ListenError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  if (requested) shutdown(requested);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
