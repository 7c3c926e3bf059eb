/** 0.8421 -> "84.2%". */
export const pct = (x: number | null | undefined): string =>
  x === null || x === undefined || Number.isNaN(x) ? '–' : `${(x * 100).toFixed(1)}%`;

/** "340 ms", "1.2 s", "2 min 3 s", "1 h 4 min". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

/** A timestamp in the reader's local time. */
export function time(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

/** Elapsed from start to stop, or to now while running. */
export function elapsed(start: string | null, stop: string | null): number | null {
  if (!start) return null;
  return (stop ? Date.parse(stop) : Date.now()) - Date.parse(start);
}

/** "waiting" -> "waiting for approval" etc. */
export function phaseLabel(phase: string): string {
  return phase === 'not-run' ? 'not run' : phase;
}

/** A change of a ratio in percentage points: "+1.2 pt", "−0.4 pt", "same". */
export function points(delta: number): string {
  if (Math.abs(delta) < 0.0005) return 'same';
  return `${delta < 0 ? '−' : '+'}${Math.abs(delta * 100).toFixed(1)} pt`;
}
