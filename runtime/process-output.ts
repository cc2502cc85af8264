// runtime/process-output.ts: turn a child process's output streams into lines, keeping the last few for error messages.
import type { Readable } from 'node:stream';

export class OutputTail {
  private readonly lines: string[] = [];

  constructor(private readonly limit = 25) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.limit) this.lines.shift();
  }

  /** The kept lines, indented, for appending to an error message. */
  format(): string {
    return this.lines.length ? this.lines.map((line) => `  | ${line}`).join('\n') : '  (no output)';
  }
}

/** Calls `onLine` for every non-empty line; `\r` counts as a line end so progress redraws arrive as lines too. */
export function forEachLine(stream: Readable | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (pending + chunk).split(/\r\n|\r|\n/);
    pending = parts.pop() ?? '';
    for (const part of parts) if (part.trim()) onLine(part.trimEnd());
  });
  stream.on('end', () => {
    if (pending.trim()) onLine(pending.trimEnd());
    pending = '';
  });
}
