// One clear line for an error: what failed, the AADSTS codes and correlation id when there are
// some. Core's messages are redacted already (secrets registered with it never appear); the
// line is also clipped and stripped of control characters.
import { GraphError, O365Error } from '@o365/core';
import { CommanderError } from 'commander';

/** A one-line description of an error (never a secret or token). */
export function describeError(error: unknown): string {
  let text: string;
  if (error instanceof CommanderError) text = error.message.replace(/^error: /, '');
  else if (error instanceof GraphError) {
    text = `${error.message}${error.graphCode ? ` (${error.graphCode})` : ''}${error.requestId ? `, request id ${error.requestId}` : ''}`;
  } else if (error instanceof O365Error) {
    const details: string[] = [];
    const codes = (error.errorCodes ?? []).map((c) => `AADSTS${c}`).filter((c) => !error.message.includes(c));
    if (codes.length) details.push(codes.join(', '));
    if (error.correlationId && !error.message.includes(error.correlationId)) details.push(`correlation id ${error.correlationId}`);
    text = `${error.message}${details.length ? ` [${details.join('; ')}]` : ''}`;
  } else if (error instanceof Error) text = error.message;
  else text = String(error);
   
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 1000);
}
