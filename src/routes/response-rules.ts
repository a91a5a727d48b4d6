import express, { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { AppError, NotFoundError } from '../errors';
import { MAX_RESPONSE_RULES, type ResponseRules } from '../mocking/response-rules';
import { integer, parseInput } from './validate';

/** The longest a rule may hold an answer back, in ms: past the sender timeouts people test, short of hanging. */
export const MAX_RULE_DELAY_MS = 120_000;

// RFC 9110 token characters.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
// Framing and connection headers belong to the server, and a cookie has no business in a webhook answer.
const RESERVED_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'set-cookie', 'date']);

/** A header map in a JSON body: valid names, no framing headers, no control characters in values. */
export const headerMap = z
  .record(z.string(), z.string({ error: 'each header value must be a string' }))
  .superRefine((value, ctx) => {
    const names = Object.keys(value);
    if (names.length > 20) ctx.addIssue({ code: 'custom', message: 'at most 20 headers' });
    for (const name of names) {
      if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(name)} is not a valid header name` });
      else if (RESERVED_HEADERS.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', message: `${name} is set by the server and cannot be mocked` });
      // eslint-disable-next-line no-control-regex
      else if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value[name]!) || value[name]!.length > 1000) {
        ctx.addIssue({ code: 'custom', message: `the value of ${name} must be at most 1000 characters, without control characters` });
      }
    }
  });

const ruleBody = z.strictObject(
  {
    status: integer(200, 599),
    body: z.unknown().optional(),
    headers: headerMap.optional(),
    delayMs: integer(0, MAX_RULE_DELAY_MS).optional(),
    eventType: z.string({ error: 'must be a non-empty string' }).trim().min(1, 'must be a non-empty string').max(200, 'must be at most 200 characters').optional(),
    remaining: integer(1, 1_000_000).optional(),
  },
  { error: 'must be a JSON object, sent with Content-Type: application/json' },
);

/**
 * `POST|GET|DELETE /webhook/response-rules[/:id]` (SPEC.md section 8): rules that make `/webhook/receive`
 * answer a matching request with a chosen status, body, headers and delay, after recording it.
 */
export function responseRulesRouter({ config }: AppDeps, rules: ResponseRules): Router {
  const router = Router();

  router.post('/webhook/response-rules', express.json({ limit: config.security.managementMaxBodyBytes }), (req, res) => {
    const input = parseInput(ruleBody, req.body);
    const rule = rules.add(input);
    if (!rule) throw new AppError(409, 'rules.full', `At most ${MAX_RESPONSE_RULES} response rules at once: delete some first.`);
    res.status(201).location(`/webhook/response-rules/${rule.id}`).json({ rule });
  });
  router.get('/webhook/response-rules', (_req, res) => {
    res.json({ items: rules.list() });
  });
  router.delete('/webhook/response-rules', (_req, res) => {
    rules.clear();
    res.status(204).end();
  });
  router.delete('/webhook/response-rules/:id', (req, res) => {
    if (!rules.delete(String(req.params.id))) throw new NotFoundError(`No response rule with id ${JSON.stringify(req.params.id)}.`);
    res.status(204).end();
  });
  return router;
}
