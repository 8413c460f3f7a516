/**
 * Fault injection: for requests that match a rule, the next `count` answers are replaced by an
 * error status, delayed, dropped or malformed.
 */

/**
 * Statuses a status fault may answer with.
 *
 * @example
 * ```ts
 * const status: FaultStatus = 503;
 * ```
 */
export type FaultStatus = 429 | 500 | 502 | 503 | 504;

interface FaultBase {
  /** HTTP method to match (any when absent). */
  method?: string;
  /**
   * Path to match. A string matches when the request path equals it or ends with it (so
   * `'/oauth2/v2.0/token'` matches every tenant's token endpoint); a RegExp is tested against the path.
   */
  path: string | RegExp;
  /** How many matching requests the fault applies to. Default 1. */
  count?: number;
}

/**
 * A fault rule.
 *
 * @example
 * ```ts
 * emu.faults.add({ path: '/v1.0/me', kind: 'status', status: 429, retryAfter: 1, count: 2 });
 * emu.faults.add({ path: /\/token$/, kind: 'delay', ms: 200 });
 * ```
 */
export type FaultSpec =
  | (FaultBase & { kind: 'status'; status: FaultStatus; retryAfter?: number })
  | (FaultBase & { kind: 'delay'; ms: number })
  | (FaultBase & { kind: 'drop' })
  | (FaultBase & { kind: 'malformed' });

/**
 * A fault as stored: its id and how many times it may still fire.
 *
 * @example
 * ```ts
 * const pending: ActiveFault[] = emu.faults.list();
 * ```
 */
export type ActiveFault = FaultSpec & { id: number; remaining: number };

/**
 * Thrown by `faults.add` for an invalid rule.
 *
 * @example
 * ```ts
 * expect(() => emu.faults.add({ path: '/x', kind: 'delay', ms: -1 })).toThrow(FaultSpecError);
 * ```
 */
export class FaultSpecError extends Error {
  readonly code = 'EMULATOR_FAULT_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'FaultSpecError';
  }
}

/**
 * The fault rules of one emulator.
 *
 * @example
 * ```ts
 * emu.faults.add({ method: 'POST', path: '/oauth2/v2.0/token', kind: 'status', status: 503 });
 * emu.faults.clear();
 * ```
 */
export class FaultRegistry {
  private rules: ActiveFault[] = [];
  private nextId = 1;

  /** Adds a rule; returns its id. */
  add(spec: FaultSpec): number {
    validateFault(spec);
    const id = this.nextId++;
    this.rules.push({ ...spec, id, remaining: spec.count ?? 1 });
    return id;
  }

  /** Removes every rule. */
  clear(): void {
    this.rules = [];
  }

  /** The rules still active. */
  list(): ActiveFault[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Consumes one firing of the first rule matching the request, if any. */
  take(method: string, path: string): ActiveFault | undefined {
    const rule = this.rules.find((r) => matches(r, method, path));
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
    return { ...rule };
  }
}

function matches(rule: ActiveFault, method: string, path: string): boolean {
  if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) return false;
  if (typeof rule.path === 'string') return path === rule.path || path.endsWith(rule.path);
  rule.path.lastIndex = 0;
  return rule.path.test(path);
}

function validateFault(spec: FaultSpec): void {
  if (typeof spec !== 'object' || spec === null) throw new FaultSpecError('a fault must be an object');
  if (typeof spec.path !== 'string' && !(spec.path instanceof RegExp)) {
    throw new FaultSpecError('fault.path must be a string or a RegExp');
  }
  if (spec.count !== undefined && (!Number.isInteger(spec.count) || spec.count < 1 || spec.count > 1_000_000)) {
    throw new FaultSpecError('fault.count must be an integer between 1 and 1000000');
  }
  if (spec.method !== undefined && typeof spec.method !== 'string') throw new FaultSpecError('fault.method must be a string');
  switch (spec.kind) {
    case 'status':
      if (![429, 500, 502, 503, 504].includes(spec.status)) {
        throw new FaultSpecError('fault.status must be one of 429, 500, 502, 503, 504');
      }
      if (spec.retryAfter !== undefined && (!Number.isFinite(spec.retryAfter) || spec.retryAfter < 0)) {
        throw new FaultSpecError('fault.retryAfter must be a non-negative number of seconds');
      }
      return;
    case 'delay':
      if (!Number.isFinite(spec.ms) || spec.ms < 0 || spec.ms > 600_000) {
        throw new FaultSpecError('fault.ms must be between 0 and 600000');
      }
      return;
    case 'drop':
    case 'malformed':
      return;
    default:
      throw new FaultSpecError(`unknown fault kind '${String((spec as { kind?: unknown }).kind)}'`);
  }
}

/** Reads a fault from the admin route's JSON (`path` string, or `pathRegex` source). */
export function faultFromJson(value: unknown): FaultSpec {
  if (typeof value !== 'object' || value === null) throw new FaultSpecError('expected a JSON object');
  const v = value as Record<string, unknown>;
  let path: string | RegExp;
  if (typeof v['pathRegex'] === 'string') {
    try {
      path = new RegExp(v['pathRegex']);
    } catch (cause) {
      throw new FaultSpecError(`invalid pathRegex: ${(cause as Error).message}`);
    }
  } else if (typeof v['path'] === 'string') {
    path = v['path'];
  } else {
    throw new FaultSpecError('a fault needs `path` (string) or `pathRegex`');
  }
  return { ...(v as object), path } as FaultSpec;
}
