/**
 * The one place where text that came from a server or a URL (an `error_description`, a Graph
 * error message, a redirect URL's query) is made fit for an error message: control characters
 * that a terminal would interpret are removed and the length is capped, so a hostile or broken
 * server cannot flood a log or rewrite the user's terminal through an exception.
 */

/** Cap for one piece of server- or URL-supplied text inside a message. */
export const MAX_SERVER_TEXT = 1024;
/** Cap for a whole error message (our text plus the clipped server text). */
export const MAX_MESSAGE_LENGTH = 4096;

// C0 and C1 control characters, DEL, and the Unicode bidirectional overrides/isolates that can
// reorder what a terminal shows ("Trojan Source"). Tab and newline are handled separately.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LINE_BREAKS = /[\t\n]+/g;

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  // Never cut a surrogate pair in half (the message would hold a lone surrogate).
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}… [${text.length - end} characters clipped]`;
}

/**
 * Makes server- or URL-supplied text safe to embed in a message: non-strings become `''`,
 * control characters are removed, line breaks and tabs become one space, and the result is clipped
 * to `max` characters (with a note saying how much was cut).
 *
 * @example
 * ```ts
 * clipServerText('AADSTS70011: bad scope\u001b[2J' + 'x'.repeat(1e6)).length; // < 1,100
 * ```
 */
export function clipServerText(text: unknown, max: number = MAX_SERVER_TEXT): string {
  if (typeof text !== 'string') return '';
  // Work on a bounded prefix first: stripping a 1 MB string to return 1 KB of it is wasted work.
  const head = text.length > max * 4 ? text.slice(0, max * 4) : text;
  const cleaned = head.replace(CONTROL, '').replace(LINE_BREAKS, ' ');
  const clipped = clip(cleaned, max);
  if (head === text || clipped.length < cleaned.length) return clipped;
  return `${cleaned.slice(0, max)}… [${text.length - max} characters clipped]`;
}

/**
 * Bounds a whole error message: control characters other than newline and tab removed, length
 * capped at {@link MAX_MESSAGE_LENGTH}. Every o365-ts error class passes its message through it.
 *
 * @example
 * ```ts
 * new Error(boundMessage(`Sign-in failed: ${description}`));
 * ```
 */
export function boundMessage(message: unknown, max: number = MAX_MESSAGE_LENGTH): string {
  const text = typeof message === 'string' ? message : String(message);
  const head = text.length > max * 4 ? text.slice(0, max * 4) : text;
  const cleaned = head.replace(CONTROL, '');
  if (head !== text && cleaned.length >= max) return `${cleaned.slice(0, max)}… [${text.length - max} characters clipped]`;
  return clip(cleaned, max);
}
