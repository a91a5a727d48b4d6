import { z } from 'zod';
import { ValidationError } from '../errors';

/** Validates input with a zod schema; on failure, a 400 `request.invalid` naming every bad field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    parsed.error.issues.flatMap((issue) =>
      // A misspelt option would otherwise be ignored in silence: each unknown key is named.
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ field: [...issue.path, key].join('.'), message: 'is not a known field' }))
        : [{ field: issue.path.length > 0 ? issue.path.join('.') : '(body)', message: issue.message }],
    ),
  );
}

/** An integer from `min` to `max` in a JSON body, with one message for every way of getting it wrong. */
export function integer(min: number, max: number) {
  const message = `must be an integer from ${min} to ${max}`;
  return z.number({ error: message }).int(message).min(min, message).max(max, message);
}

/** The same in a query string (`?limit=20`), where every value arrives as text. */
export function queryInteger(min: number, max: number) {
  const message = `must be an integer from ${min} to ${max}`;
  return z
    .string()
    .regex(/^\d+$/, message)
    .transform(Number)
    .pipe(z.number().min(min, message).max(max, message));
}
