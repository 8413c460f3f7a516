import { createInterface } from 'node:readline';

/** Writes a line for the person at the terminal (the console flow's only output). */
export function writeLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

/**
 * Prints `question` and resolves with the next line typed on stdin (python-o365's
 * `input('Paste the authenticated url here:')`). Resolves `''` when stdin ends.
 */
export function readLine(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
    let answered = false;
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolve(answer);
    });
    rl.once('close', () => {
      if (!answered) resolve('');
    });
  });
}
