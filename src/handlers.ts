import { logEvent, type HandlerRegistry } from './processing/registry';

/**
 * Your event handlers. They run after the 200 has been sent, at most PROCESSING_CONCURRENCY events at once,
 * each event's handlers within PROCESSING_TIMEOUT_MS. A handler that throws or times out marks the history
 * entry's processing `failed` with the error; nothing else is affected.
 *
 * Example:
 *
 *   registry.on('user.created', async (event, { signal, logger }) => {
 *     const user = event.payload as { userId: string; email: string };
 *     await fetch('https://crm.internal/users', { method: 'POST', body: JSON.stringify(user), signal });
 *     logger.info({ eventId: event.id, userId: user.userId }, 'user synced');
 *   });
 */
export function registerHandlers(registry: HandlerRegistry): HandlerRegistry {
  // Catch-all: one log line per processed event.
  registry.onAny(logEvent);
  return registry;
}
