// A one-line progress bar on stderr for long work (import, training, evaluation), quiet when --json is given.

export interface ProgressLine {
  update(done: number, total: number, text?: string): void;
  done(text?: string): void;
}

function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

export { formatSeconds };

/** On a terminal the line is redrawn in place; otherwise a line is printed every 10 %. */
export function progressLine(label: string, quiet: boolean, unit = 'items', stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  const tty = Boolean(stream.isTTY);
  const started = Date.now();
  let lastDecile = -1;
  let lastDraw = 0;
  return {
    update(done, total, text = '') {
      if (quiet) return;
      const fraction = total > 0 ? Math.min(1, done / total) : 0;
      const elapsed = (Date.now() - started) / 1000;
      const rate = elapsed > 0 ? done / elapsed : 0;
      const eta = rate > 0 ? (total - done) / rate : undefined;
      if (tty) {
        const now = Date.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        const width = 24;
        const filled = Math.round(fraction * width);
        const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
        stream.write(`\r${label} [${bar}] ${done}/${total} ${rate.toFixed(1)} ${unit}/s ETA ${formatSeconds(eta)} ${text}`.slice(0, (stream.columns ?? 120) - 1).padEnd(Math.min(119, (stream.columns ?? 120) - 1)));
      } else {
        const decile = Math.floor(fraction * 10);
        if (decile === lastDecile) return;
        lastDecile = decile;
        stream.write(`${label}: ${done}/${total} (${Math.round(fraction * 100)} %) ${rate.toFixed(1)} ${unit}/s ETA ${formatSeconds(eta)} ${text}\n`);
      }
    },
    done(text = '') {
      if (quiet) return;
      if (tty) stream.write('\r'.padEnd(Math.min(120, stream.columns ?? 120)) + '\r');
      if (text) stream.write(`${label}: ${text}\n`);
    },
  };
}
