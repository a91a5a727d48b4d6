import { eventTypeFilter, matchesEventType, type EventTypeFilter } from '../history/query';

/** How `/webhook/receive` answers a matching request instead of its usual 200 (issue 16.4). */
export interface ResponseRuleInput {
  /** 200 to 599. */
  readonly status: number;
  /** JSON, sent as JSON; a string is sent as text. Absent: an empty body. */
  readonly body?: unknown;
  /** Extra response headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Wait this long before answering, in ms: a receiver that times out. */
  readonly delayMs?: number;
  /** Only requests of this type (`prefix.*` for a family); absent: every request. */
  readonly eventType?: string;
  /** Answer the next `remaining` matching requests this way, then stop; absent: until deleted. */
  readonly remaining?: number;
}

export interface ResponseRule extends ResponseRuleInput {
  readonly id: string;
  /** ISO 8601. */
  readonly createdAt: string;
  /** Requests this rule has answered. */
  readonly used: number;
}

/** What the receive route needs to answer with a rule, and what the history entry keeps of it. */
export interface ChosenResponse {
  readonly rule: ResponseRule;
}

/** Rules at once, at most: each request checks them all. */
export const MAX_RESPONSE_RULES = 100;

/**
 * The mock-response rules, in memory and per process: a debugging aid, set for a session and gone at restart.
 * The first rule (oldest first) whose event type matches answers; `take` counts the use and retires a rule
 * whose `remaining` runs out, so "503 twice, then the usual 200" is one rule with `remaining: 2`.
 */
export class ResponseRules {
  private readonly rules: { rule: ResponseRule; filter: EventTypeFilter | undefined; left: number }[] = [];

  constructor(
    private readonly newId: (prefix: string) => string,
    private readonly now: () => number,
  ) {}

  add(input: ResponseRuleInput): ResponseRule | undefined {
    if (this.rules.length >= MAX_RESPONSE_RULES) return undefined;
    const rule: ResponseRule = { ...input, id: this.newId('rule'), createdAt: new Date(this.now()).toISOString(), used: 0 };
    this.rules.push({ rule, filter: eventTypeFilter(input.eventType), left: input.remaining ?? Infinity });
    return rule;
  }

  list(): ResponseRule[] {
    return this.rules.map(({ rule, left }) => (Number.isFinite(left) ? { ...rule, remaining: left } : rule));
  }

  delete(id: string): boolean {
    const index = this.rules.findIndex((r) => r.rule.id === id);
    if (index >= 0) this.rules.splice(index, 1);
    return index >= 0;
  }

  clear(): void {
    this.rules.length = 0;
  }

  /** The rule that answers a request of `eventType`, counted as used; undefined: the usual answer. */
  take(eventType: string | null): ResponseRule | undefined {
    const index = this.rules.findIndex((r) => r.filter === undefined || matchesEventType(r.filter, eventType));
    if (index < 0) return undefined;
    const current = this.rules[index]!;
    current.left -= 1;
    current.rule = { ...current.rule, used: current.rule.used + 1 };
    if (current.left <= 0) this.rules.splice(index, 1);
    return current.rule;
  }
}
