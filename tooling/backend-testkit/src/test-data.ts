// Data the checks store: large and unicode samples, and a marker no error may contain.
import type { TokenBackendConformanceOptions } from './conformance-options.js';

const DEFAULT_LARGE_BYTES = 1_500_000;

/** A marker standing in for a token: errors must never contain stored data. */
export const DATA_MARKER = 'kit-marker-0f3c9a-not-a-real-token';
/**
 * JSON like a token cache, mixing ASCII and multi-byte characters: at most `bytes` UTF-8 bytes, within ~100 of it.
 *
 * @example
 * ```ts
 * await backend.save(makeLargeData(64 * 1024));
 * ```
 */
export function makeLargeData(bytes: number): string {
  const parts: string[] = [];
  let size = 2;
  for (let i = 0; ; i += 1) {
    const part = JSON.stringify({
      i,
      secret: `${i.toString(36)}-abcdefghijklmnopqrstuvwxyz-0123456789`,
      text: `é-漢字-😀-${i % 97}`,
    });
    const partBytes = Buffer.byteLength(part, 'utf8') + (parts.length > 0 ? 1 : 0);
    if (size + partBytes > bytes) break;
    parts.push(part);
    size += partBytes;
  }
  return `[${parts.join(',')}]`;
}

/**
 * Emoji (with ZWJ sequences), right-to-left scripts, CJK, combining marks, astral letters, escapes. No NUL.
 *
 * @example
 * ```ts
 * await backend.save(UNICODE_SAMPLE);
 * ```
 */
export const UNICODE_SAMPLE = JSON.stringify({
  emoji: '😀🎉👩‍👩‍👧‍👦🏳️‍🌈',
  hebrew: 'שלום עולם',
  arabic: 'مرحبا بالعالم',
  mixed: 'abc \u202Eعكس\u202C def',
  cjk: '漢字かなカナ한국어',
  combining: 'e\u0301 n\u0303 a\u030A',
  astral: '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐍈',
  escapes: 'quote " backslash \\ newline \n tab \t',
  bmpEdge: '\uFFFD\uFEFF\u00A0',
});

export function largeBytes(options: TokenBackendConformanceOptions): number {
  return Math.min(DEFAULT_LARGE_BYTES, options.dataLimit?.maxDataBytes ?? DEFAULT_LARGE_BYTES);
}
