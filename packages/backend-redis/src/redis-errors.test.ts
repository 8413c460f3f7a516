import { describe, expect, it } from '@jest/globals';
import { ClientClosedError, ConnectionTimeoutError, ErrorReply, SimpleError, SocketClosedUnexpectedlyError } from 'redis';
import {
  adviceFor,
  classifyRedisError,
  RedisCommandTimeoutError,
  scrubError,
  UnexpectedRedisValueError,
} from './redis-errors.js';

const econnrefused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6380'), { code: 'ECONNREFUSED' });

describe('classifyRedisError', () => {
  it.each([
    [new SimpleError('WRONGPASS invalid username-password pair or user is disabled.'), 'credentials-rejected', 'WRONGPASS'],
    [new SimpleError('NOAUTH Authentication required.'), 'password-required', 'NOAUTH'],
    [new SimpleError("NOPERM User app has no permissions to run the 'evalsha' command"), 'permission-denied', 'NOPERM'],
    [new SimpleError("ERR The user executing the script can't run this command or subcommand script: 563c, on @user_script:15."), 'permission-denied', 'NOPERM'],
    [new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value'), 'wrong-type', 'WRONGTYPE'],
    [new SimpleError('LOADING Redis is loading the dataset in memory'), 'other', 'LOADING'],
    [econnrefused, 'unreachable', 'ECONNREFUSED'],
    [new Error('getaddrinfo ENOTFOUND redis.invalid'), 'unreachable', 'ENOTFOUND'],
    [new ConnectionTimeoutError(), 'unreachable', 'ConnectionTimeoutError'],
    [new SocketClosedUnexpectedlyError(), 'unreachable', 'SocketClosedUnexpectedlyError'],
    [new ClientClosedError(), 'closed', 'ClientClosedError'],
    [new RedisCommandTimeoutError('EVALSHA', 300), 'timeout', 'RedisCommandTimeoutError'],
    [new UnexpectedRedisValueError('WRONGTYPE', 'k holds a string'), 'wrong-type', 'WRONGTYPE'],
    [new UnexpectedRedisValueError('NOT_OURS', 'k holds a hash without the fields'), 'not-ours', 'NOT_OURS'],
    ['a string', 'other', 'Error'],
  ])('%s is %s (%s)', (error, kind, code) => {
    expect(classifyRedisError(error)).toMatchObject({ kind, code });
  });
});

describe('adviceFor', () => {
  it('names the server for connection and credential problems, and the key for foreign values', () => {
    const server = 'redis://cache:6379';
    expect(adviceFor(classifyRedisError(econnrefused), server, 'k')).toContain(server);
    expect(adviceFor(classifyRedisError(new SimpleError('WRONGPASS x')), server, 'k')).toMatch(/rejected the username or password/);
    expect(adviceFor(classifyRedisError(new UnexpectedRedisValueError('NOT_OURS', 'x')), server, 'o365:{a}:data')).toMatch(/^o365:\{a\}:data does not hold/);
    expect(adviceFor(classifyRedisError(new SimpleError('LOADING x')), server, 'k')).toBeUndefined();
  });
});

describe('scrubError', () => {
  it('returns a copy without the secret in message and stack, keeping the class and own fields', () => {
    const original = Object.assign(new SimpleError('ERR something with hunter2 in it'), { extra: 1 });
    const copy = scrubError(original, 'hunter2') as SimpleError & { extra: number };
    expect(copy).not.toBe(original);
    expect(copy).toBeInstanceOf(SimpleError);
    expect(copy.message).toBe('ERR something with *** in it');
    expect(copy.stack).not.toContain('hunter2');
    expect(copy.extra).toBe(1);
    expect(original.message).toContain('hunter2');
  });

  it('returns the error itself when there is nothing to scrub', () => {
    const e = new Error('fine');
    expect(scrubError(e, 'hunter2')).toBe(e);
    expect(scrubError(e, undefined)).toBe(e);
    expect(scrubError('text hunter2', 'hunter2')).toBe('text hunter2');
  });
});
