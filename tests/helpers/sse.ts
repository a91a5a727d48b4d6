import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

/** One Server-Sent Events frame: fields as sent, or a comment line (`: heartbeat`). */
export interface SseFrame {
  readonly id?: string;
  readonly event?: string;
  readonly data?: string;
  readonly comment?: string;
  readonly retry?: string;
}

function parseBlock(block: string): SseFrame {
  const frame: Record<string, string> = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) frame.comment = line.slice(1).trim();
    else {
      const colon = line.indexOf(':');
      const name = colon === -1 ? line : line.slice(0, colon);
      frame[name] = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    }
  }
  return frame;
}

export interface SseClient {
  readonly response: IncomingMessage;
  /** The next frame that matches, waiting at most `timeoutMs`; frames before it are consumed. */
  next(match?: (frame: SseFrame) => boolean, timeoutMs?: number): Promise<SseFrame>;
  /** The next frame with an `event:` field (skips comments and bare `retry`). */
  nextEvent(timeoutMs?: number): Promise<SseFrame>;
  readonly ended: Promise<void>;
  close(): void;
}

/** Opens `path` on a listening server and parses its event stream as it arrives. */
export function openStream(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${baseUrl}${path}`, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      const frames: SseFrame[] = [];
      let waiter: (() => void) | undefined;
      let buffer = '';
      let resolveEnded!: () => void;
      const ended = new Promise<void>((r) => (resolveEnded = r));
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) !== -1) {
          frames.push(parseBlock(buffer.slice(0, cut)));
          buffer = buffer.slice(cut + 2);
        }
        waiter?.();
      });
      response.on('end', () => {
        resolveEnded();
        waiter?.();
      });
      response.on('close', () => resolveEnded());

      const next = async (match: (frame: SseFrame) => boolean = () => true, timeoutMs = 3000): Promise<SseFrame> => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          while (frames.length > 0) {
            const frame = frames.shift()!;
            if (match(frame)) return frame;
          }
          const left = deadline - Date.now();
          if (left <= 0 || response.complete) throw new Error(`no matching frame within ${timeoutMs} ms`);
          await new Promise<void>((r) => {
            const timer = setTimeout(r, left);
            waiter = () => {
              clearTimeout(timer);
              r();
            };
          });
        }
      };
      resolve({
        response,
        next,
        nextEvent: (timeoutMs) => next((f) => f.event !== undefined, timeoutMs),
        ended,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Listens on an ephemeral port; `close` ends open connections (streams) too. */
export async function listen(app: Express): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
