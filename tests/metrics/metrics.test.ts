import { createMetrics } from '../../src/metrics/metrics';

const sources = () => ({ historyCounts: () => Promise.resolve({ accepted: 0, rejected: 0 }), pendingDeliveries: () => 0, pendingProcessing: () => 0 });

/** The value of one series in the text exposition, or undefined when absent. */
async function scrape(metrics: ReturnType<typeof createMetrics>, series: string): Promise<number | undefined> {
  const text = await metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('createMetrics: counters counted between scrapes', () => {
  it('adds the counts made since the last scrape, once', async () => {
    const metrics = createMetrics(sources);
    metrics.received('native', 'accepted');
    metrics.received('native', 'accepted');
    metrics.received('stripe', 'duplicate');

    expect(await scrape(metrics, 'webhook_received_total{scheme="native",outcome="accepted"}')).toBe(2);
    metrics.received('native', 'accepted');
    expect(await scrape(metrics, 'webhook_received_total{scheme="native",outcome="accepted"}')).toBe(3);
    expect(await scrape(metrics, 'webhook_received_total{scheme="stripe",outcome="duplicate"}')).toBe(1);
  });

  it('keeps label combinations apart, and names a request without a scheme "none"', async () => {
    const metrics = createMetrics(sources);
    metrics.received(null, 'rejected');
    metrics.verificationFailed('signature.missing');
    metrics.verificationFailed('signature.mismatch');
    metrics.verificationFailed('signature.mismatch');
    metrics.attempt('5xx', 12);
    metrics.delivery('failed');
    metrics.processed('done', 3);
    metrics.rateLimited();

    expect(await scrape(metrics, 'webhook_received_total{scheme="none",outcome="rejected"}')).toBe(1);
    expect(await scrape(metrics, 'webhook_verification_failures_total{reason="signature.mismatch"}')).toBe(2);
    expect(await scrape(metrics, 'webhook_verification_failures_total{reason="signature.missing"}')).toBe(1);
    expect(await scrape(metrics, 'webhook_delivery_attempts_total{outcome="5xx"}')).toBe(1);
    expect(await scrape(metrics, 'webhook_deliveries_total{outcome="failed"}')).toBe(1);
    expect(await scrape(metrics, 'webhook_processing_total{outcome="done"}')).toBe(1);
    expect(await scrape(metrics, 'webhook_rate_limited_total')).toBe(1);
  });

  it('shows an unlabelled counter at 0 before anything is counted', async () => {
    expect(await scrape(createMetrics(sources), 'webhook_rate_limited_total')).toBe(0);
  });
});
