import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { InvalidArgumentError } from './errors.js';
import { MSGraphProtocol } from './protocol.js';
import { isScopeHelper } from './scopes.js';

const protocol = new MSGraphProtocol();
// Anything JavaScript can pass: strings, other primitives, symbols, sparse arrays, array-likes, objects.
const element = fc.oneof(fc.string(), fc.constantFrom('basic', 'Mail.Read', 'openid', 'https://x/y'), fc.anything(), fc.constant(Symbol('s')));
const argument = fc.oneof(
  fc.string(),
  fc.array(element, { maxLength: 8 }),
  fc.sparseArray(element, { maxLength: 8 }),
  fc.dictionary(fc.string(), element).map((d) => ({ ...d, length: 2 })),
  fc.anything(),
);

describe('Protocol.getScopesFor (property)', () => {
  it('any argument gives a list of non-empty strings or an InvalidArgumentError naming the parameter', () => {
    fc.assert(
      fc.property(argument, (value) => {
        let result: unknown;
        try {
          result = protocol.getScopesFor(value as string[]);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidArgumentError);
          expect((error as InvalidArgumentError).parameter).toMatch(/^scopes(\[\d+\])?$/);
          expect((error as Error).message.startsWith((error as InvalidArgumentError).parameter)).toBe(true);
          return;
        }
        expect(Array.isArray(result)).toBe(true);
        for (const scope of result as unknown[]) {
          expect(typeof scope).toBe('string');
          expect((scope as string).length).toBeGreaterThan(0);
          expect(/\s/.test(scope as string)).toBe(false);
        }
        expect(new Set(result as string[]).size).toBe((result as string[]).length);
      }),
      { numRuns: 1000, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: false },
    );
  });

  it('every dense array of scope strings is accepted and each scope keeps its name', () => {
    const scope = fc.stringMatching(/^[A-Za-z][A-Za-z.]{0,20}$/);
    fc.assert(
      fc.property(fc.array(scope, { maxLength: 10 }), (scopes) => {
        const result = protocol.getScopesFor(scopes);
        for (const s of scopes.filter((name) => !isScopeHelper(name))) expect(result).toContain(protocol.prefixScope(s));
      }),
      { numRuns: 300 },
    );
  });
});
