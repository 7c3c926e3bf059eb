import { setTimeout as sleep } from 'node:timers/promises';
import { STATES } from '@slipway/contracts';
import { z } from 'zod';
import { nameField, parseEvent, sampleField, versionField } from '../event.js';

/** The SmokeTest state's Payload. */
export const smokeTestEventSchema = z.object({
  model: nameField,
  version: versionField,
  /** The endpoint the promotion deployed to; null when it reported none. */
  endpoint: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).nullable(),
  samples: z.array(sampleField),
});

/** A validated SmokeTest event. */
export type SmokeTestEvent = z.output<typeof smokeTestEventSchema>;

/** What the SmokeTest step needs; the defaults suit a deployment. */
export interface SmokeTestDeps {
  /**
   * How long to keep checking that the endpoint serves the version. Default 30 000 ms. A check under way
   * at the deadline is allowed to finish, so the wait can exceed this by up to `requestTimeoutMs`.
   */
  readonly timeoutMs?: number;
  /** Pause between health checks. Default 100 ms. */
  readonly pollMs?: number;
  /** Longest wait for one HTTP response. Default 5 000 ms. */
  readonly requestTimeoutMs?: number;
  /** Sends the requests; a signing fetch for an endpoint behind IAM auth. Default global fetch. */
  readonly fetch?: typeof fetch;
}

/** One thing the smoke test found wrong; `text` is null when the failure is not about a sample. */
export interface SmokeFailure {
  readonly text: string | null;
  readonly expected: string;
  readonly actual: string;
  readonly message: string;
}

/** The smoke test's outcome; a failure is a value (the state machine rolls back), never an error. */
export interface SmokeTestOutput {
  readonly passed: boolean;
  readonly failures: readonly SmokeFailure[];
  /** The version the endpoint last reported, or null when it never answered with one. */
  readonly servedVersion: number | null;
}

// The inference service's default batch limit is 64; stay well inside it.
const CHUNK = 32;

type Answer = { ok: true; body: unknown } | { ok: false; problem: string };

/**
 * Waits until the endpoint's `/health` reports the promoted version, then sends the evaluation's samples
 * to `/predict` and checks each label. Timeouts, HTTP errors and wrong labels all give `passed: false`.
 */
export async function runSmokeTest(
  input: SmokeTestEvent,
  deps: SmokeTestDeps = {},
): Promise<SmokeTestOutput> {
  const timeoutMs = deps.timeoutMs ?? 30_000;
  const pollMs = deps.pollMs ?? 100;
  const requestTimeoutMs = deps.requestTimeoutMs ?? 5_000;
  const send = deps.fetch ?? fetch;
  const wanted = `${input.model} v${input.version}`;
  if (input.endpoint === null) {
    return failed(null, {
      text: null,
      expected: `${wanted} served`,
      actual: 'no endpoint',
      message: `the promotion reported no endpoint, so ${wanted} could not be checked; configure the deployer to return the inference endpoint's URL`,
    });
  }
  const base = input.endpoint.endsWith('/') ? input.endpoint : `${input.endpoint}/`;
  const healthUrl = new URL('health', base).href;
  const predictUrl = new URL('predict', base).href;

  const deadline = Date.now() + timeoutMs;
  let servedVersion: number | null = null;
  let last = 'no answer yet';
  for (;;) {
    // Each check gets its full request timeout: one cut short by the deadline would replace what the
    // endpoint last said with a meaningless timeout.
    const answer = await request(send, healthUrl, undefined, requestTimeoutMs);
    if (answer.ok) {
      const served = modelOf(answer.body);
      servedVersion = served.version;
      if (served.name === input.model && served.version === input.version) break;
      last = `it serves ${served.name ?? '(no model name)'} ${served.version === null ? '(no version)' : `v${served.version}`}`;
    } else {
      last = answer.problem;
    }
    if (Date.now() + pollMs >= deadline) {
      return failed(servedVersion, {
        text: null,
        expected: `${wanted} on ${healthUrl}`,
        actual: last,
        message: `${wanted} did not appear at ${healthUrl} within ${formatSeconds(timeoutMs)} (last check: ${last}); the deployment did not take effect`,
      });
    }
    await sleep(pollMs);
  }

  const failures: SmokeFailure[] = [];
  for (let start = 0; start < input.samples.length; start += CHUNK) {
    const chunk = input.samples.slice(start, start + CHUNK);
    const answer = await request(send, predictUrl, { texts: chunk.map((s) => s.text) }, requestTimeoutMs);
    if (!answer.ok) {
      return failed(servedVersion, {
        text: null,
        expected: `predictions from ${predictUrl}`,
        actual: answer.problem,
        message: `${predictUrl} did not answer ${chunk.length} sample text(s): ${answer.problem}`,
      });
    }
    const body = answer.body as { model?: unknown; predictions?: unknown };
    const served = modelOf(body);
    if (served.name !== input.model || served.version !== input.version) {
      servedVersion = served.version;
      return failed(servedVersion, {
        text: null,
        expected: wanted,
        actual: `${served.name ?? '(no model name)'} v${served.version ?? '?'}`,
        message: `${predictUrl} answered with ${served.name ?? '(no model name)'} v${served.version ?? '?'} instead of ${wanted}; the endpoint moved while being tested`,
      });
    }
    const predictions = Array.isArray(body.predictions) ? body.predictions : [];
    chunk.forEach((sample, i) => {
      const label = (predictions[i] as { label?: unknown } | undefined)?.label;
      const actual = typeof label === 'string' ? label : '(no prediction)';
      if (actual !== sample.label) {
        failures.push({
          text: sample.text,
          expected: sample.label,
          actual,
          message: `${wanted} at ${predictUrl} labels this sample "${actual}"; the evaluation's run of the same model gave "${sample.label}"`,
        });
      }
    });
  }
  return { passed: failures.length === 0, failures, servedVersion };
}

/** Builds the SmokeTest handler: validates the event, then tests the endpoint. */
export function createSmokeTestHandler(
  deps: SmokeTestDeps = {},
): (event: unknown) => Promise<SmokeTestOutput> {
  return async (event) => runSmokeTest(parseEvent(STATES.SmokeTest, smokeTestEventSchema, event), deps);
}

function failed(servedVersion: number | null, failure: SmokeFailure): SmokeTestOutput {
  return { passed: false, failures: [failure], servedVersion };
}

/** GET (no body) or POST JSON; never throws. */
async function request(send: typeof fetch, url: string, json: unknown, timeoutMs: number): Promise<Answer> {
  try {
    const response = await send(url, {
      method: json === undefined ? 'GET' : 'POST',
      headers: json === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const detail = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
      return {
        ok: false,
        problem: `HTTP ${response.status}${typeof detail === 'string' ? `: ${detail}` : text ? `: ${text.slice(0, 200)}` : ''}`,
      };
    }
    if (body === undefined)
      return { ok: false, problem: `HTTP ${response.status} with a body that is not JSON` };
    return { ok: true, body };
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const name = error instanceof Error ? error.name : '';
    if (name === 'TimeoutError')
      return { ok: false, problem: `no response within ${formatSeconds(timeoutMs)}` };
    // fetch's own failures are a TypeError whose cause holds the socket's code (ECONNREFUSED, …); any
    // other error (a signing fetch that found no credentials) says more in its message.
    const detail =
      error instanceof TypeError && typeof cause?.code === 'string'
        ? cause.code
        : error instanceof Error
          ? error.message
          : String(error);
    return { ok: false, problem: `request failed (${detail})` };
  }
}

function modelOf(body: unknown): { name: string | null; version: number | null } {
  const model = (body as { model?: { name?: unknown; version?: unknown } } | null)?.model;
  return {
    name: typeof model?.name === 'string' ? model.name : null,
    version: typeof model?.version === 'number' ? model.version : null,
  };
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
