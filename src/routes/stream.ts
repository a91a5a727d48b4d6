import { Router } from 'express';
import type { AppDeps } from '../deps';
import { AppError } from '../errors';
import type { FeedEvent } from '../history/feed';

/** How long a browser waits before reconnecting, in ms (the SSE `retry` field). */
export const STREAM_RETRY_MS = 2000;

/** The `Last-Event-ID` a client resumes from: the header (EventSource) or `?lastEventId=` (polyfills, curl). */
function lastEventId(header: string | undefined, query: unknown): number | undefined {
  const raw = header ?? (typeof query === 'string' ? query : undefined);
  if (raw === undefined || !/^\d{1,15}$/.test(raw.trim())) return undefined;
  return Number(raw.trim());
}

/**
 * `GET /webhook/history/stream`: Server-Sent Events of every history change (see docs/ui.md).
 *
 * Frames are serialized once by the feed and written to each client as they are. A client that does not
 * read cannot make the server buffer without bound: before each write, a client whose unread backlog would
 * pass `STREAM_MAX_BUFFERED_BYTES` is dropped (its socket destroyed, since ending it would queue behind
 * the backlog it is not reading). A browser then reconnects with `Last-Event-ID` and gets what it missed
 * from the feed's buffer, or a `reset` event telling it to reload.
 */
export function streamRouter(deps: AppDeps): Router {
  const { feed, logger, config } = deps;
  const router = Router();
  // Each client holds a socket, a subscriber and up to STREAM_MAX_BUFFERED_BYTES: bounded in number too.
  let clients = 0;

  router.get('/webhook/history/stream', (req, res) => {
    if (clients >= config.streamMaxClients) {
      throw new AppError(503, 'stream.full', `The live stream already serves ${config.streamMaxClients} clients (STREAM_MAX_CLIENTS); retry later.`, {
        expose: true,
        headers: { 'Retry-After': '5' },
      });
    }
    clients += 1;
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // nginx buffers proxied responses unless told not to.
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);

    let open = true;
    let unsubscribe = (): void => undefined;
    const heartbeat = setInterval(() => write(': heartbeat\n\n'), config.streamHeartbeatMs);
    heartbeat.unref();

    const close = (): void => {
      if (!open) return;
      open = false;
      clients -= 1;
      clearInterval(heartbeat);
      unsubscribe();
    };

    const write = (chunk: string): void => {
      if (!open) return;
      // chunk.length (UTF-16 units) never exceeds the UTF-8 byte length: cheap and on the safe side. An idle
      // socket takes any one frame, however large; only a backlog that is not draining counts.
      const backlog = res.writableLength;
      if (backlog > 0 && backlog + chunk.length > config.streamMaxBufferedBytes) {
        logger.warn({ backlogBytes: backlog, maxBufferedBytes: config.streamMaxBufferedBytes }, 'history stream client dropped: not reading');
        close();
        res.destroy();
        return;
      }
      res.write(chunk);
    };

    res.on('close', close);

    write(`retry: ${STREAM_RETRY_MS}\n: connected\n\n`);
    // Subscribing and replaying happen in one synchronous run, so no event falls between the two.
    unsubscribe = feed.subscribe({
      onEvent: (event: FeedEvent) => write(event.frame),
      onClose: () => {
        close();
        res.end();
      },
    });
    if (!open) return;

    const resumeFrom = lastEventId(req.get('last-event-id'), req.query.lastEventId);
    const missed = resumeFrom === undefined ? [] : feed.since(resumeFrom);
    if (missed === undefined) {
      // Events after the client's id are gone (or it comes from before a restart): it must reload the list.
      write(`id: ${feed.lastSeq}\nevent: reset\ndata: ${JSON.stringify({ lastEventId: feed.lastSeq })}\n\n`);
    } else {
      for (const event of missed) write(event.frame);
      // Sets the client's last event id even when nothing has happened yet, so its first reconnect resumes.
      write(`id: ${feed.lastSeq}\nevent: ready\ndata: ${JSON.stringify({ lastEventId: feed.lastSeq })}\n\n`);
    }
  });

  return router;
}
