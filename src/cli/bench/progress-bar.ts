import type { LoadProgress } from '../load/load-driver.ts';

/** A live progress bar on a terminal (redrawn in place), or a plain line every few seconds otherwise. */
export function progressPrinter(label: string, stream: NodeJS.WriteStream): { update(progress: LoadProgress): void; done(): void } {
  let lastLine = 0;
  let finished = false;
  const line = (progress: LoadProgress): string => {
    const width = 24;
    const filled = Math.round(progress.fraction * width);
    const of = progress.target === null ? '' : `/${progress.target}`;
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(progress.fraction * 100)}% ${progress.phase}`
      + ` ${progress.done}${of} done, ${progress.inFlight} in flight, ${progress.failed} failed, ${progress.recentPerSecond}/s, ${(progress.elapsedMs / 1_000).toFixed(0)} s`;
  };
  return {
    update(progress) {
      if (stream.isTTY) {
        stream.write(`\r\x1b[2K${line(progress).slice(0, Math.max(20, (stream.columns || 120) - 1))}`);
      } else if (progress.elapsedMs - lastLine >= 5_000) {
        lastLine = progress.elapsedMs;
        stream.write(`${line(progress)}\n`);
      }
    },
    done() {
      if (stream.isTTY && !finished) stream.write('\n');
      finished = true;
    },
  };
}
