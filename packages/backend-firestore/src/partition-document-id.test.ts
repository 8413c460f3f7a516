import { describe, expect, it } from '@jest/globals';
import { idProblem } from './firestore-limits.js';
import { partitionDocumentId } from './partition-document-id.js';

/** Reverses the readable form (the hashed form is one-way). */
function decode(id: string): string {
  const bytes: number[] = [];
  let out = '';
  const flush = () => {
    if (bytes.length > 0) out += Buffer.from(bytes.splice(0)).toString('utf8');
  };
  for (let i = 0; i < id.length; ) {
    if (id.startsWith('%u', i)) {
      flush();
      out += String.fromCharCode(parseInt(id.slice(i + 2, i + 6), 16));
      i += 6;
    } else if (id[i] === '%') {
      bytes.push(parseInt(id.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      flush();
      out += id[i];
      i += 1;
    }
  }
  flush();
  return out;
}

describe('partitionDocumentId', () => {
  it.each([
    ['adele', 'adele'],
    ['00000000-0000-0000-66f3-3332eca7ea81.9188040d-6c67-4c5b-b112-36a304b66dad', '00000000-0000-0000-66f3-3332eca7ea81.9188040d-6c67-4c5b-b112-36a304b66dad'],
    ['contoso/adele', 'contoso%2Fadele'],
    ['contoso%2Fadele', 'contoso%252Fadele'],
    ['a~b', 'a%7Eb'],
    ['é', '%C3%A9'],
    ['😀', '%F0%9F%98%80'],
    ['a b', 'a%20b'],
    ['.', '%2E'],
    ['..', '%2E.'],
    ['__x__', '%5F_x__'],
    ['__', '__'],
    ['____', '%5F___'],
    ['_x_', '_x_'],
    ['\uD800x', '%uD800x'],
  ])('%j -> %j', (key, id) => {
    expect(partitionDocumentId(key)).toBe(id);
    expect(idProblem(id)).toBeUndefined();
    expect(decode(id)).toBe(key);
  });

  it('hashes ids over 1,500 bytes, keeping a readable prefix that ends on a whole escape', () => {
    const long = '漢'.repeat(1000);
    const id = partitionDocumentId(long);
    expect(id).toMatch(/^(%[0-9A-F]{2})+~[A-Za-z0-9_-]{43}$/);
    expect(id.split('~')[0]!.length % 3).toBe(0);
    expect(idProblem(id)).toBeUndefined();
    expect(partitionDocumentId(`${'漢'.repeat(999)}字`)).not.toBe(id);
    expect(partitionDocumentId(long)).toBe(id);
    // 1,500 ASCII characters still fit as they are.
    expect(partitionDocumentId('a'.repeat(1500))).toBe('a'.repeat(1500));
    expect(partitionDocumentId('a'.repeat(1501))).toMatch(/^a{64}~/);
  });

  it('never maps two keys to one id (readable ids contain no "~", hashed ones always do)', () => {
    const keys = ['a', 'A', 'a/b', 'a%2Fb', 'a%252Fb', 'a~b', 'a%7Eb', '.', '%2E', '..', '__a__', '%5F_a__', '\uDC00', '%uDC00', 'a'.repeat(1501), 'a'.repeat(1502)];
    const ids = keys.map(partitionDocumentId);
    expect(new Set(ids).size).toBe(keys.length);
    for (const id of ids) expect(id.includes('~')).toBe(id.length > 100 && /~[A-Za-z0-9_-]{43}$/.test(id));
  });
});
