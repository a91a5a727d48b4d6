import { eventTypeFilterProblem, matchesEventType } from '../../src/endpoints/event-types';
import { signingSecrets } from '../../src/endpoints/secrets';

describe('matchesEventType', () => {
  it('takes every type when the list is empty or holds *', () => {
    expect(matchesEventType([], 'anything.at.all')).toBe(true);
    expect(matchesEventType(['*'], 'user.created')).toBe(true);
  });

  it('matches a trailing .* wildcard by prefix, dot included', () => {
    expect(matchesEventType(['invoice.*'], 'invoice.paid')).toBe(true);
    expect(matchesEventType(['invoice.*'], 'invoice.line.added')).toBe(true);
    expect(matchesEventType(['invoice.*'], 'invoice')).toBe(false);
    expect(matchesEventType(['invoice.*'], 'invoices.paid')).toBe(false);
  });

  it('matches anything else exactly', () => {
    expect(matchesEventType(['user.created', 'user.deleted'], 'user.deleted')).toBe(true);
    expect(matchesEventType(['user.created'], 'user.created.v2')).toBe(false);
  });

  it.each(['a*b', '*.paid', 'invoice*', 'a.*.b', '.*'])('refuses the filter %p', (filter) => {
    expect(eventTypeFilterProblem(filter)).toMatch(/trailing/);
  });

  it.each(['invoice.*', '*', 'user.created'])('accepts the filter %p', (filter) => {
    expect(eventTypeFilterProblem(filter)).toBeUndefined();
  });
});

describe('signingSecrets', () => {
  const secrets = { current: 'new', previous: 'old', previousUntilMs: 1000 };

  it('signs with the new secret first and the old one until the grace ends, then the new one only', () => {
    expect(signingSecrets(secrets, 999)).toEqual(['new', 'old']);
    expect(signingSecrets(secrets, 1000)).toEqual(['new']);
  });

  it('has nothing to sign with for an endpoint that is gone', () => {
    expect(signingSecrets(undefined, 0)).toEqual([]);
  });
});
