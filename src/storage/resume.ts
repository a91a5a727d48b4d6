import type { Logger } from 'pino';
import type { Processor } from '../processing/processor';
import type { ProcessingStore } from '../processing/store';

/**
 * After a restart: hands the events that were acknowledged but not yet processed back to the handler queue,
 * and resumes the deliveries still pending in the outbox. With `STORE=memory` there are none. Called by
 * `server.ts` once the server listens.
 */
export async function resumePendingWork(deps: {
  readonly history: ProcessingStore;
  readonly processor: Pick<Processor, 'enqueue'>;
  readonly sender: { resumePending(): Promise<number> };
  readonly logger: Logger;
}): Promise<{ events: number; deliveries: number }> {
  const events = await deps.history.pendingProcessing();
  for (const event of events) deps.processor.enqueue(event);
  const deliveries = await deps.sender.resumePending();
  if (events.length > 0 || deliveries > 0) {
    deps.logger.info({ events: events.length, deliveries }, 'resumed work left pending by the previous run');
  }
  return { events: events.length, deliveries };
}
