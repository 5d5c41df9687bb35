// Progress of the long benchmark phases on stderr, so stdout keeps only the report (or its JSON).
import { Presets, SingleBar } from 'cli-progress';

/** What the measuring code reports to; it never knows whether anyone is watching. */
export interface PhaseProgress {
  start(label: string, total: number): void;
  tick(): void;
  stop(): void;
}

export const silentProgress: PhaseProgress = Object.freeze({
  start: () => undefined,
  tick: () => undefined,
  stop: () => undefined,
});

/**
 * A bar redrawn in place on a terminal; elsewhere (a log, CI) one line every two seconds and
 * one at the end of each phase, so a long phase never looks hung.
 */
export class StderrProgress implements PhaseProgress {
  private bar: SingleBar | null = null;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  start(label: string, total: number): void {
    this.stop();
    this.bar = new SingleBar(
      {
        format: `${label.padEnd(22)} [{bar}] {value}/{total} {duration_formatted}`,
        stream: this.stream,
        noTTYOutput: true,
        notTTYSchedule: 2_000,
        hideCursor: this.stream.isTTY,
        clearOnComplete: this.stream.isTTY,
        gracefulExit: true,
      },
      Presets.shades_classic,
    );
    this.bar.start(total, 0);
  }

  tick(): void {
    this.bar?.increment();
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
