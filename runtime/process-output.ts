// runtime/process-output.ts: turn a child process's output streams into lines, keeping the last few for error messages.
import type { Readable } from 'node:stream';

/** A Go runtime's fatal report starts so; its cause is in these lines, its goroutine stacks (often longer than a tail) after. */
const FATAL_START = /^(panic|fatal error): /;
const FATAL_LINES = 4;

export class OutputTail {
  private readonly lines: string[] = [];
  /** The first fatal report's opening lines (the Temporal dev server is a Go program), kept when the tail moves on. */
  private readonly fatal: string[] = [];

  constructor(private readonly limit = 25) {}

  push(line: string): void {
    if (this.fatal.length === 0 ? FATAL_START.test(line) : this.fatal.length < FATAL_LINES) this.fatal.push(line);
    this.lines.push(line);
    if (this.lines.length > this.limit) this.lines.shift();
  }

  /**
   * The kept lines, indented, for appending to an error message; a fatal report's opening lines come first when the
   * tail no longer holds them (a panic's message, not only its stack).
   */
  format(): string {
    if (this.lines.length === 0) return '  (no output)';
    const indent = (lines: string[]) => lines.map((line) => `  | ${line}`);
    const fatalGone = this.fatal.length > 0 && !this.lines.includes(this.fatal[0]!);
    return [...(fatalGone ? [...indent(this.fatal), '  | …'] : []), ...indent(this.lines)].join('\n');
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
