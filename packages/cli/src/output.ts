// Where a command writes: data on stdout, progress and errors on stderr; colour only on a TTY and
// never with NO_COLOR; `--json` keeps stderr quiet except for errors and the device code.
import type { Readable, Writable } from 'node:stream';
import type { Emulator } from '@o365/emulator';

/**
 * The streams and environment `run()` works with: process.stdout/stderr/stdin/env in the binary,
 * buffers in tests.
 *
 * @example
 * ```ts
 * const io: RunIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
 * await run(['whoami'], io);
 * ```
 */
export interface RunIo {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
  /** Where prompts read from (secrets, the pasted URL of `--flow code`). Absent: no prompt possible. */
  readonly stdin?: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  readonly env: NodeJS.ProcessEnv;
  /** Aborts what is waiting (device-code polling, a prompt): the binary aborts it on Ctrl-C. */
  readonly signal?: AbortSignal;
  /**
   * The emulator `--emulator` uses. Absent: `--emulator` starts one for the duration of the call.
   * Pass one to keep a profile made with `--emulator` across several `run()` calls.
   */
  readonly emulator?: Emulator;
}

/**
 * Writes lines for a command, with bold/dim styling when the stream is a terminal.
 *
 * @example
 * ```ts
 * const out = new Output({ stdout: process.stdout, stderr: process.stderr, env: process.env }, { json: false });
 * out.line(out.bold('Done.'));
 * ```
 */
export class Output {
  readonly #io: RunIo;
  readonly #colourOut: boolean;
  readonly #colourErr: boolean;
  /** `--json`: data as JSON, no progress notes. */
  readonly json: boolean;

  constructor(io: RunIo, options: { json: boolean }) {
    this.#io = io;
    this.json = options.json;
    const noColor = io.env['NO_COLOR'] !== undefined && io.env['NO_COLOR'] !== '';
    this.#colourOut = io.stdout.isTTY === true && !noColor;
    this.#colourErr = io.stderr.isTTY === true && !noColor;
  }

  /** Whether stderr is a terminal (progress is shown there only). */
  get interactive(): boolean {
    return this.#io.stderr.isTTY === true;
  }

  /** A line of data on stdout. */
  line(text: string): void {
    this.#io.stdout.write(`${text}\n`);
  }

  /** A value as pretty JSON on stdout (the `--json` shapes). */
  data(value: unknown): void {
    this.#io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** One value as one compact JSON line on stdout (NDJSON). */
  ndjson(value: unknown): void {
    this.#io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** Raw text on stdout (a response body). */
  raw(text: string): void {
    this.#io.stdout.write(text);
  }

  /** A progress message for the person on stderr; silent with `--json`. */
  note(text: string): void {
    if (!this.json) this.#io.stderr.write(`${text}\n`);
  }

  /** A message on stderr that is shown even with `--json` (the device code, errors). */
  alert(text: string): void {
    this.#io.stderr.write(`${text}\n`);
  }

  bold(text: string): string {
    return this.#colourOut ? `\x1b[1m${text}\x1b[0m` : text;
  }

  dim(text: string): string {
    return this.#colourOut ? `\x1b[2m${text}\x1b[0m` : text;
  }

  /** Red on a colour terminal (stderr). */
  red(text: string): string {
    return this.#colourErr ? `\x1b[31m${text}\x1b[0m` : text;
  }

  /** Bold on a colour terminal (stderr). */
  boldErr(text: string): string {
    return this.#colourErr ? `\x1b[1m${text}\x1b[0m` : text;
  }
}
