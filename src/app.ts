import express, { type Express } from 'express';
import type { AppDeps } from './deps';
import { errorHandler, notFound } from './middleware/error-handler';
import { deliveriesRouter } from './routes/deliveries';
import { historyRouter } from './routes/history';
import { receiveRouter } from './routes/receive';
import { sendRouter } from './routes/send';

/** Builds the Express app from its collaborators. No listening, no environment, no timers. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // responses are fresh JSON; hashing every body for an ETag buys nothing here

  app.use(receiveRouter(deps));
  app.use(historyRouter(deps));
  app.use(sendRouter(deps));
  app.use(deliveriesRouter(deps));

  app.use(notFound);
  app.use(errorHandler(deps.logger, deps.config.maxBodyBytes));
  return app;
}
