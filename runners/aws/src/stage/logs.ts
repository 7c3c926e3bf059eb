import type { AwsClients } from './clients.js';
import { AwsStageError } from './errors.js';

type Logs = AwsClients['logs'];

/** One log event, with the group it came from. */
export interface LogLine {
  readonly timestamp: number;
  readonly group: string;
  readonly stream: string;
  readonly message: string;
  readonly id: string;
}

/** What to read and how to follow. */
export interface TailOptions {
  /** Epoch ms to start from. */
  readonly startTime: number;
  readonly filterPattern?: string;
  /** Keep polling for new events until `signal` aborts. */
  readonly follow?: boolean;
  /** How far back each poll looks for events that arrived late. Default 10 000 ms. */
  readonly lookbackMs?: number;
  /** Between two polls when following. Default 2 000 ms. */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly onLine: (line: LogLine) => void;
}

/** Reads one poll's events of every group since `startTime`, in time order. Groups not created yet are skipped. */
async function poll(
  logs: Logs,
  groups: readonly string[],
  startTime: number,
  filterPattern?: string,
): Promise<LogLine[]> {
  const { FilterLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  const perGroup = await Promise.all(
    groups.map(async (group) => {
      const lines: LogLine[] = [];
      let nextToken: string | undefined;
      try {
        do {
          const page = await logs.send(
            new FilterLogEventsCommand({
              logGroupName: group,
              startTime,
              ...(filterPattern ? { filterPattern } : {}),
              ...(nextToken ? { nextToken } : {}),
            }),
          );
          for (const e of page.events ?? []) {
            lines.push({
              timestamp: e.timestamp ?? 0,
              group,
              stream: e.logStreamName ?? '',
              message: (e.message ?? '').replace(/\n$/, ''),
              id: e.eventId ?? `${group}/${e.logStreamName}/${e.timestamp}/${e.message}`,
            });
          }
          nextToken = page.nextToken;
        } while (nextToken);
      } catch (error) {
        const err = error as Error;
        if (err.name === 'ResourceNotFoundException') return lines; // the function has not run yet
        throw new AwsStageError(
          `cannot read log group ${group} (${err.name}: ${err.message})${err.name === 'AccessDeniedException' ? '; you need logs:FilterLogEvents on it' : ''}`,
          { cause: error },
        );
      }
      return lines;
    }),
  );
  return perGroup.flat().sort((a, b) => a.timestamp - b.timestamp || a.group.localeCompare(b.group));
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Prints the log groups' events in one time-ordered stream; with `follow`, polls for new ones (each
 * event once) until the signal aborts.
 * @example await tailLogs(logs, stage.logGroupNames(), { startTime: Date.now() - 600_000, onLine: print })
 */
export async function tailLogs(logs: Logs, groups: readonly string[], options: TailOptions): Promise<void> {
  const sleep = options.sleep ?? defaultSleep;
  const lookback = options.lookbackMs ?? 10_000;
  let newest = options.startTime;
  // CloudWatch Logs ingests events late by a few seconds: each poll looks back from the newest event
  // seen, and the ids seen in that window keep events from printing twice.
  const seen = new Map<string, number>();
  for (;;) {
    const from = Math.max(options.startTime, newest - lookback);
    for (const line of await poll(logs, groups, from, options.filterPattern)) {
      if (seen.has(line.id)) continue;
      seen.set(line.id, line.timestamp);
      newest = Math.max(newest, line.timestamp);
      options.onLine(line);
    }
    for (const [id, timestamp] of seen) if (timestamp < newest - lookback) seen.delete(id);
    if (!options.follow || options.signal?.aborted) return;
    await sleep(options.pollMs ?? 2_000, options.signal);
    if (options.signal?.aborted) return;
  }
}

/** Parses `--since`: `90s`, `15m`, `2h`, `1d`, or an ISO time; returns epoch ms. */
export function parseSince(value: string, now: number = Date.now()): number {
  const match = /^(\d+)([smhd])$/.exec(value);
  if (match) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
    return now - Number(match[1]) * unit;
  }
  const time = Date.parse(value);
  if (Number.isNaN(time)) {
    throw new AwsStageError(
      `--since ${JSON.stringify(value)} is not a duration (90s, 15m, 2h, 1d) or an ISO time`,
    );
  }
  return time;
}
