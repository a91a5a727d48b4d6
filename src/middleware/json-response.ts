import type { Express, Response } from 'express';

/**
 * `res.json` for the answers this app sends, which are nearly all one case: a JSON body, no Content-Type
 * set yet, no ETag (app.ts turns them off), not a HEAD or a conditional request. Express's own goes through
 * `res.set` (a MIME lookup), `res.send` (parses and re-formats the Content-Type to add the charset, and
 * looks up half a dozen headers) before it ends the response: profiled under the receive load (issue 13),
 * 13 µs per webhook besides the socket write, against 7 µs here. Here that case writes its two headers and
 * ends; every other case is Express's own, so the answers are byte for byte the same
 * (tests/middleware/json-response.test.ts compares them).
 */
export function installJsonResponse(app: Express): void {
  const expressJson = app.response.json;
  const replacerSet = (): boolean => app.get('json replacer') !== undefined || app.get('json spaces') !== undefined || app.get('json escape') === true;

  app.response.json = function json(this: Response, body: unknown): Response {
    const req = this.req;
    if (
      this.hasHeader('content-type') ||
      this.hasHeader('transfer-encoding') ||
      this.statusCode === 204 ||
      this.statusCode === 205 ||
      this.statusCode === 304 ||
      req.method === 'HEAD' ||
      req.headers['if-none-match'] !== undefined ||
      req.headers['if-modified-since'] !== undefined ||
      typeof app.get('etag fn') === 'function' ||
      replacerSet()
    ) {
      return expressJson.call(this, body);
    }
    const text = JSON.stringify(body) as string | undefined;
    if (text === undefined) return expressJson.call(this, body);
    this.setHeader('Content-Type', 'application/json; charset=utf-8');
    this.setHeader('Content-Length', Buffer.byteLength(text));
    this.end(text, 'utf8');
    return this;
  } as Response['json'];
}
