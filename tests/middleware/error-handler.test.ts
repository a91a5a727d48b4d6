import express from 'express';
import request from 'supertest';
import { AppError, ValidationError } from '../../src/errors';
import { errorHandler, notFound, toAppError } from '../../src/middleware/error-handler';
import { expectError } from '../helpers/app';
import { memoryLogger } from '../helpers/deps';

/** An app whose one route throws `error`, with the real 404 and error middleware behind it. */
function throwingApp(error: unknown) {
  const { logger, lines } = memoryLogger('trace');
  const app = express();
  app.get('/boom', () => {
    throw error;
  });
  app.use(notFound);
  app.use(errorHandler(logger));
  return { app, lines };
}

describe('errorHandler', () => {
  it('answers an AppError with its status, code and message', async () => {
    const { app } = throwingApp(new ValidationError([{ field: 'limit', message: 'too big' }]));

    const res = await request(app).get('/boom');

    expectError(res, 400, 'request.invalid');
    expect((res.body as { error: { message: string } }).error.message).toBe('limit: too big');
  });

  it('hides the message of an AppError that must not be exposed', async () => {
    const { app } = throwingApp(new AppError(503, 'upstream.down', 'connect ECONNREFUSED 10.0.0.7:5432', { expose: false }));

    const res = await request(app).get('/boom');

    expectError(res, 503, 'upstream.down');
    expect(res.text).not.toContain('10.0.0.7');
  });

  it('answers an unknown error with a generic 500 and logs it', async () => {
    const { app, lines } = throwingApp(new TypeError("Cannot read properties of undefined (reading 'secretField')"));

    const res = await request(app).get('/boom');

    expectError(res, 500, 'internal_error');
    expect(res.text).not.toContain('secretField');
    expect(lines().some((line) => line.includes('request failed'))).toBe(true);
  });

  it('answers an unknown route with 404 not_found naming the method and path', async () => {
    const { app } = throwingApp(new Error('unused'));

    const res = await request(app).delete('/nowhere');

    expectError(res, 404, 'not_found');
    expect((res.body as { error: { message: string } }).error.message).toContain('DELETE /nowhere');
  });
});

describe('toAppError', () => {
  it.each([
    ['entity.too.large', 413, 'body.too_large'],
    ['entity.parse.failed', 400, 'body.invalid_json'],
    ['request.aborted', 400, 'request.aborted'],
    ['encoding.unsupported', 415, 'body.unsupported_encoding'],
  ])("names body-parser's %s error", (type, status, code) => {
    expect(toAppError(Object.assign(new Error('x'), { type }))).toMatchObject({ status, code });
  });

  it('states the limit in a too-large message', () => {
    expect(toAppError(Object.assign(new Error('x'), { type: 'entity.too.large' }), 64).message).toContain('64 bytes');
  });

  it('keeps a 4xx status of a foreign error as request.invalid', () => {
    expect(toAppError(Object.assign(new Error('bad'), { status: 422 }))).toMatchObject({ status: 422, code: 'request.invalid' });
  });
});
