/**
 * Where a fit's time goes, for the profile bench (training-job/bench/train-profile.ts): wall and
 * process CPU time per named section, and per kernel operation whether it ran split into chunks
 * (work the threads share) or as one piece on the calling thread. Off unless a recorder is installed;
 * then each section costs two clock reads.
 *
 * @example
 *   const profile = new SectionProfile();
 *   recordSections(profile);
 *   try { await trainModel(dataset, hp, { threads: 1 }); } finally { recordSections(undefined); }
 *   profile.totals(); // → Map { 'vectorize' => { wallMs, cpuMs, calls }, … }
 */

/** Time spent in one section, summed over its calls. */
export interface SectionTotal {
  wallMs: number;
  /** Process CPU (user + system), so worker threads and the garbage collector count too. */
  cpuMs: number;
  calls: number;
}

/** Accumulates section times. Sections nest; each one's time includes its inner sections'. */
export class SectionProfile {
  private readonly sums = new Map<string, SectionTotal>();
  private readonly open: string[] = [];

  /** The innermost open section ('' outside every section). */
  current(): string {
    return this.open.at(-1) ?? '';
  }

  /** Starts a section; pass the result to `end`. */
  begin(): { wall: number; cpu: NodeJS.CpuUsage } {
    return { wall: performance.now(), cpu: process.cpuUsage() };
  }

  end(name: string, started: { wall: number; cpu: NodeJS.CpuUsage }): void {
    const cpu = process.cpuUsage(started.cpu);
    const total = this.sums.get(name) ?? { wallMs: 0, cpuMs: 0, calls: 0 };
    total.wallMs += performance.now() - started.wall;
    total.cpuMs += (cpu.user + cpu.system) / 1000;
    total.calls++;
    this.sums.set(name, total);
  }

  enter(name: string): void {
    this.open.push(name);
  }

  leave(): void {
    this.open.pop();
  }

  totals(): ReadonlyMap<string, Readonly<SectionTotal>> {
    return this.sums;
  }
}

let recorder: SectionProfile | undefined;

/** Installs the recorder later sections go to (undefined: stop recording). */
export function recordSections(profile: SectionProfile | undefined): void {
  recorder = profile;
}

/** The installed recorder, if any (hot paths check it once and time themselves). */
export function sectionRecorder(): SectionProfile | undefined {
  return recorder;
}

/** Runs `f` as section `name` when a recorder is installed, else just runs it. */
export function section<T>(name: string, f: () => T): T {
  const profile = recorder;
  if (profile === undefined) return f();
  const started = profile.begin();
  profile.enter(name);
  try {
    return f();
  } finally {
    profile.leave();
    profile.end(name, started);
  }
}

/** `section` for an asynchronous step. */
export async function sectionAsync<T>(name: string, f: () => Promise<T>): Promise<T> {
  const profile = recorder;
  if (profile === undefined) return f();
  const started = profile.begin();
  profile.enter(name);
  try {
    return await f();
  } finally {
    profile.leave();
    profile.end(name, started);
  }
}
