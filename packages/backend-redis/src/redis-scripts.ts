import { createHash } from 'node:crypto';

/** A Lua script run with EVALSHA (EVAL when the server does not have it cached yet). */
export interface RedisScript {
  readonly name: string;
  readonly source: string;
  readonly sha1: string;
}

function script(name: string, source: string): RedisScript {
  return { name, source, sha1: createHash('sha1').update(source).digest('hex') };
}

// Every script reads the type first, so that a key holding something else (a string, a list, a
// hash someone else wrote) is reported as such and never overwritten. A hash is ours when it has
// both fields `data` and `ver`. Replies are arrays whose first element is a status word.

// KEYS[1] data hash. -> {'none'} | {'wrongtype', type} | {'foreign'} | {'ok', data, ver}
export const LOAD = script(
  'load',
  `local t = redis.call('TYPE', KEYS[1])['ok']
if t == 'none' then return {'none'} end
if t ~= 'hash' then return {'wrongtype', t} end
local v = redis.call('HMGET', KEYS[1], 'data', 'ver')
if not v[1] or not v[2] then return {'foreign'} end
return {'ok', v[1], v[2]}`,
);

// KEYS[1] data hash; ARGV: mode ('any' | 'create' | 'match'), expected version, data, new version,
// ttl in ms (0: no expiry). -> {'ok', ver} | {'conflict'[, current]} | {'wrongtype', type} | {'foreign'}
export const SAVE = script(
  'save',
  `local t = redis.call('TYPE', KEYS[1])['ok']
local cur = false
if t == 'hash' then
  cur = redis.call('HGET', KEYS[1], 'ver')
  if not cur or redis.call('HEXISTS', KEYS[1], 'data') == 0 then return {'foreign'} end
elseif t ~= 'none' then
  return {'wrongtype', t}
end
if ARGV[1] == 'create' then
  if cur then return {'conflict', cur} end
elseif ARGV[1] == 'match' then
  if not cur then return {'conflict'} end
  if cur ~= ARGV[2] then return {'conflict', cur} end
end
redis.call('HSET', KEYS[1], 'data', ARGV[3], 'ver', ARGV[4])
local ttl = tonumber(ARGV[5])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) else redis.call('PERSIST', KEYS[1]) end
return {'ok', ARGV[4]}`,
);

// KEYS[1] data hash. -> {'ok'} | {'none'} | {'wrongtype', type} | {'foreign'}
export const DELETE = script(
  'delete',
  `local t = redis.call('TYPE', KEYS[1])['ok']
if t == 'none' then return {'none'} end
if t ~= 'hash' then return {'wrongtype', t} end
if redis.call('HEXISTS', KEYS[1], 'ver') == 0 or redis.call('HEXISTS', KEYS[1], 'data') == 0 then return {'foreign'} end
redis.call('DEL', KEYS[1])
return {'ok'}`,
);

// KEYS[1] lock; ARGV[1] owner token. Deletes the lock only if this owner still holds it. -> 1 | 0
export const RELEASE = script(
  'release',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
);

// KEYS[1] lock; ARGV[1] owner token, ARGV[2] lease in ms. Extends the lease only if this owner
// still holds it. -> 1 | 0
export const RENEW = script(
  'renew',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`,
);

/** A reply element as text: node-redis gives strings, or Buffers under a Buffer type mapping. */
export function replyText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

/** The status word and the other elements of a script's reply. */
export function scriptReply(reply: unknown): { status: string; values: (string | undefined)[] } {
  const items = Array.isArray(reply) ? (reply as unknown[]) : [reply];
  const [status, ...rest] = items.map(replyText);
  return { status: status ?? '', values: rest };
}
