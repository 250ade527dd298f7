// A one-line progress bar for the CLI on a terminal; plain lines (one per change of state) otherwise.
import { isFinalJobState, type JobSummary } from '../../shared/jobs';

export class ProgressLine {
  private lastLine = '';
  private readonly tty: boolean;

  constructor(private readonly stream: NodeJS.WritableStream & { isTTY?: boolean }) {
    this.tty = Boolean(stream.isTTY);
  }

  update(jobs: JobSummary[]): void {
    const done = jobs.filter((j) => isFinalJobState(j.state)).length;
    const overall =
      jobs.reduce((sum, j) => sum + (j.state === 'completed' ? 1 : (j.progress?.overall ?? 0)), 0) /
      Math.max(1, jobs.length);
    const running = jobs.find((j) => j.state === 'running');
    const node = running?.progress?.nodeTitle ? ` ${running.progress.nodeTitle}` : '';
    const states = [...new Set(jobs.map((j) => j.state))].join(', ');
    if (this.tty) {
      const width = 30;
      const filled = Math.round(overall * width);
      const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(overall * 100)}%  ${done}/${jobs.length} done${node}`;
      if (line !== this.lastLine) this.stream.write(`\r${line.padEnd(this.lastLine.length)}`);
      this.lastLine = line;
    } else if (jobs.length > 1) {
      // Off a terminal each job's states are written as lines already; a count helps with many.
      const line = `${done}/${jobs.length} done (${states})`;
      if (line !== this.lastLine) this.stream.write(`${line}\n`);
      this.lastLine = line;
    }
  }

  /** A plain count (e.g. files imported). */
  count(done: number, total: number, what: string): void {
    const line = `${done}/${total} ${what}`;
    if (this.tty) this.stream.write(`\r${line}`);
    else if (done === total || done % 100 === 0) this.stream.write(`${line}\n`);
    this.lastLine = line;
  }

  /** Clears the bar (on a terminal) so a plain line can be written; the next update draws it again. */
  interrupt(): void {
    if (!this.tty || !this.lastLine) return;
    this.stream.write(`\r${' '.repeat(this.lastLine.length)}\r`);
    this.lastLine = '';
  }

  done(): void {
    if (this.tty && this.lastLine) this.stream.write('\n');
  }
}
