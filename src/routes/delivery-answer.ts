import type { Request, Response } from 'express';
import { z } from 'zod';
import type { DeliveryRecord } from '../sender/delivery-store';
import type { Sender } from '../sender/sender';
import { parseInput } from './validate';

const waitQuery = z.object({ wait: z.enum(['true', 'false', '1', '0']).optional() });

/** Whether the request asks to wait for the final outcome (`?wait=true`); 400 for another value. */
export function wantsToWait(req: Request): boolean {
  const { wait } = parseInput(waitQuery, req.query);
  return wait === 'true' || wait === '1';
}

/**
 * How send, retry and replay answer a delivery they started: `202 {delivery}` with its `Location`, or with
 * `wait` the final outcome: 200 when delivered, 502 when every attempt failed (or the server stopped first).
 */
export async function answerDelivery(res: Response, sender: Sender, delivery: DeliveryRecord, wait: boolean): Promise<void> {
  res.location(`/webhook/deliveries/${delivery.id}`);
  if (!wait) {
    res.status(202).json({ delivery });
    return;
  }
  const settled = await sender.settled(delivery.id);
  res.status(settled.status === 'delivered' ? 200 : 502).json({ delivery: settled });
}
