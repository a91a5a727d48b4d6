import type { z } from 'zod';
import { ValidationError } from '../errors';

/** Validates input with a zod schema; on failure, a 400 `request.invalid` naming every bad field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    parsed.error.issues.map((issue) => ({ field: issue.path.length > 0 ? issue.path.join('.') : '(body)', message: issue.message })),
  );
}

