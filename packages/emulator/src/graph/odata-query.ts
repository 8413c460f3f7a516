/**
 * The slice of OData query syntax Graph's `/users` supports without advanced queries:
 * `$filter` with `eq`, `ne`, `startswith(...)`, `and`, `or`, `not`, parentheses; `$orderby`.
 */

/** Raised for a query Graph would refuse (400 BadRequest). */
export class ODataQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ODataQueryError';
  }
}

type Token =
  | { t: 'ident'; v: string }
  | { t: 'string'; v: string }
  | { t: 'number'; v: number }
  | { t: 'punct'; v: '(' | ')' | ',' };

function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ t: 'punct', v: c });
      i++;
    } else if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= input.length) throw new ODataQueryError('Invalid filter clause: unterminated string literal.');
        if (input[i] === "'") {
          if (input[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += input[i];
        i++;
      }
      out.push({ t: 'string', v: s });
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(input.slice(i));
      if (!m) throw new ODataQueryError(`Syntax error at position ${i} in '${input}'.`);
      out.push({ t: 'number', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_./]*/.exec(input.slice(i))!;
      out.push({ t: 'ident', v: m[0] });
      i += m[0].length;
    } else {
      throw new ODataQueryError(`Syntax error: character '${c}' is not valid at position ${i} in '${input}'.`);
    }
  }
  return out;
}

/** A compiled predicate over a record of properties. */
export type Predicate = (item: Record<string, unknown>) => boolean;

type Literal = string | number | boolean | null;

function compare(a: unknown, b: Literal): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b || (a === undefined && b === null);
}

/** A compiled `$filter`. */
export interface CompiledFilter {
  predicate: Predicate;
  /**
   * The clauses Graph only accepts as an advanced query (`ConsistencyLevel: eventual` and
   * `$count=true`) on directory objects: `ne`, `not`, `endswith`. Empty when none is used.
   */
  advancedClauses: string[];
}

/**
 * Compiles a `$filter` expression. `resolve` maps a property name (any case) to its canonical
 * name, or undefined when the entity has no such property.
 */
export function compileFilter(input: string, resolve: (name: string) => string | undefined): CompiledFilter {
  const advancedClauses: string[] = [];
  const tokens = tokenize(input);
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const isWord = (tok: Token | undefined, word: string) => tok?.t === 'ident' && tok.v.toLowerCase() === word;
  const expectPunct = (p: string) => {
    const tok = next();
    if (tok?.t !== 'punct' || tok.v !== p) throw new ODataQueryError(`Invalid filter clause: expected '${p}'.`);
  };
  const property = (): string => {
    const tok = next();
    if (tok?.t !== 'ident') throw new ODataQueryError('Invalid filter clause: expected a property name.');
    const name = resolve(tok.v);
    if (!name) throw new ODataQueryError(`Could not find a property named '${tok.v}' on type 'microsoft.graph.user'.`);
    return name;
  };
  const literal = (): Literal => {
    const tok = next();
    if (tok?.t === 'string' || tok?.t === 'number') return tok.v;
    if (isWord(tok, 'true')) return true;
    if (isWord(tok, 'false')) return false;
    if (isWord(tok, 'null')) return null;
    throw new ODataQueryError('Invalid filter clause: expected a literal value.');
  };
  const primary = (): Predicate => {
    const tok = peek();
    if (tok?.t === 'punct' && tok.v === '(') {
      next();
      const inner = orExpr();
      expectPunct(')');
      return inner;
    }
    if (isWord(tok, 'not')) {
      next();
      advancedClauses.push('not');
      const inner = primary();
      return (x) => !inner(x);
    }
    if (isWord(tok, 'startswith') || isWord(tok, 'endswith')) {
      const fn = (next() as { v: string }).v.toLowerCase();
      if (fn === 'endswith') advancedClauses.push('endswith');
      expectPunct('(');
      const prop = property();
      expectPunct(',');
      const value = literal();
      expectPunct(')');
      if (typeof value !== 'string') throw new ODataQueryError(`Invalid filter clause: ${fn} needs a string.`);
      const v = value.toLowerCase();
      return (x) => {
        const field = x[prop];
        if (typeof field !== 'string') return false;
        return fn === 'startswith' ? field.toLowerCase().startsWith(v) : field.toLowerCase().endsWith(v);
      };
    }
    const prop = property();
    const op = next();
    if (op?.t !== 'ident') throw new ODataQueryError('Invalid filter clause: expected an operator.');
    const operator = op.v.toLowerCase();
    if (operator === 'in') {
      expectPunct('(');
      const values: Literal[] = [literal()];
      while (peek()?.t === 'punct' && (peek() as { v: string }).v === ',') {
        next();
        values.push(literal());
      }
      expectPunct(')');
      return (x) => values.some((v) => compare(x[prop], v));
    }
    const value = literal();
    if (operator === 'eq') return (x) => compare(x[prop], value);
    if (operator === 'ne') {
      advancedClauses.push('ne');
      return (x) => !compare(x[prop], value);
    }
    throw new ODataQueryError(`Unsupported or invalid query filter clause specified for property '${prop}' of resource 'User'.`);
  };
  const andExpr = (): Predicate => {
    let left = primary();
    while (isWord(peek(), 'and')) {
      next();
      const l = left;
      const r = primary();
      left = (x) => l(x) && r(x);
    }
    return left;
  };
  const orExpr = (): Predicate => {
    let left = andExpr();
    while (isWord(peek(), 'or')) {
      next();
      const l = left;
      const r = andExpr();
      left = (x) => l(x) || r(x);
    }
    return left;
  };
  if (tokens.length === 0) throw new ODataQueryError('Invalid filter clause: the filter is empty.');
  const predicate = orExpr();
  if (pos !== tokens.length) throw new ODataQueryError(`Syntax error at position ${pos} in '${input}'.`);
  return { predicate, advancedClauses };
}

/** Compiles `$orderby` into a comparator. */
export function compileOrderBy(
  input: string,
  resolve: (name: string) => string | undefined,
): (a: Record<string, unknown>, b: Record<string, unknown>) => number {
  const keys = input.split(',').map((part) => {
    const [name, dir, ...rest] = part.trim().split(/\s+/);
    if (!name || rest.length > 0 || (dir && !/^(asc|desc)$/i.test(dir))) {
      throw new ODataQueryError(`Invalid $orderby expression '${input}'.`);
    }
    const prop = resolve(name);
    if (!prop) throw new ODataQueryError(`Could not find a property named '${name}' on type 'microsoft.graph.user'.`);
    return { prop, sign: dir?.toLowerCase() === 'desc' ? -1 : 1 };
  });
  return (a, b) => {
    for (const { prop, sign } of keys) {
      const x = a[prop];
      const y = b[prop];
      const xs = x === null || x === undefined ? '' : String(x).toLowerCase();
      const ys = y === null || y === undefined ? '' : String(y).toLowerCase();
      if (xs < ys) return -sign;
      if (xs > ys) return sign;
    }
    return 0;
  };
}
