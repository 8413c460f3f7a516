import { describe, expect, it } from '@jest/globals';
import { RequestLog } from './request-log.js';

describe('RequestLog', () => {
  it('keeps only the newest entries past its limit, so long runs stay bounded in memory', () => {
    const log = new RequestLog(3);
    for (let i = 0; i < 10; i++) log.add({ method: 'GET', path: `/p${i}`, status: 200, time: i });
    expect(log.list().map((e) => e.path)).toEqual(['/p7', '/p8', '/p9']);
  });

  it('hands out copies: a caller cannot rewrite the log', () => {
    const log = new RequestLog();
    log.add({ method: 'GET', path: '/a', status: 200, time: 0 });
    const [entry] = log.list();
    entry!.status = 500;
    expect(log.list()[0]!.status).toBe(200);
  });
});
