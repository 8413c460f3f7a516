import { describe, expect, it } from '@jest/globals';
import { compileFilter, compileOrderBy, ODataQueryError } from './odata-query.js';

const props = new Map(['displayName', 'jobTitle', 'accountEnabled', 'mail'].map((p) => [p.toLowerCase(), p]));
const resolve = (n: string) => props.get(n.toLowerCase());
const rows = [
  { displayName: "Ada O'Neil", jobTitle: 'Engineer', accountEnabled: true, mail: null },
  { displayName: 'Bob', jobTitle: 'Director', accountEnabled: false, mail: 'bob@x' },
  { displayName: 'alice', jobTitle: 'Engineer', accountEnabled: true, mail: 'alice@x' },
];
const names = (filter: string) => rows.filter(compileFilter(filter, resolve).predicate).map((r) => r.displayName);

describe('$filter', () => {
  it('eq, ne, in, startswith, endswith, and/or/not with precedence and parentheses', () => {
    expect(names("displayName eq 'ada o''neil'")).toEqual(["Ada O'Neil"]);
    expect(names("jobTitle ne 'Engineer'")).toEqual(['Bob']);
    expect(names("jobTitle in ('Director', 'Nobody')")).toEqual(['Bob']);
    expect(names("startswith(displayName,'A')")).toEqual(["Ada O'Neil", 'alice']);
    expect(names("endswith(mail,'@x')")).toEqual(['Bob', 'alice']);
    expect(names("jobTitle eq 'Director' or jobTitle eq 'Engineer' and startswith(displayName,'al')")).toEqual(['Bob', 'alice']);
    expect(names("(jobTitle eq 'Director' or jobTitle eq 'Engineer') and not startswith(displayName,'al')")).toEqual(["Ada O'Neil", 'Bob']);
    expect(names('accountEnabled eq false')).toEqual(['Bob']);
    expect(names('mail eq null')).toEqual(["Ada O'Neil"]);
  });

  it('reports the clauses that need an advanced query', () => {
    expect(compileFilter("startswith(displayName,'a') and jobTitle eq 'x'", resolve).advancedClauses).toEqual([]);
    expect(compileFilter("not (jobTitle ne 'x') or endswith(mail,'@x')", resolve).advancedClauses).toEqual(['not', 'ne', 'endswith']);
  });

  it.each(['', "displayName eq 'open", 'shoeSize eq 1', 'displayName gt 1', "startswith(displayName 'x')", "displayName eq 'a' extra", 'displayName eq @'])(
    'rejects %p',
    (filter) => {
      expect(() => compileFilter(filter, resolve)).toThrow(ODataQueryError);
    },
  );
});

describe('$orderby', () => {
  it('sorts case-insensitively, asc by default, desc on request, by several keys', () => {
    const sorted = (o: string) => [...rows].sort(compileOrderBy(o, resolve)).map((r) => r.displayName);
    expect(sorted('displayName')).toEqual(["Ada O'Neil", 'alice', 'Bob']);
    expect(sorted('displayName desc')).toEqual(['Bob', 'alice', "Ada O'Neil"]);
    expect(sorted('jobTitle, displayName desc')).toEqual(['Bob', 'alice', "Ada O'Neil"]);
    expect(() => compileOrderBy('displayName sideways', resolve)).toThrow(ODataQueryError);
    expect(() => compileOrderBy('nope', resolve)).toThrow(ODataQueryError);
  });
});
