import type { RequestRecord, Telemetry } from '../../src/index.js';

/** Telemetry that keeps what it was told, for assertions. */
export function recordingTelemetry(logText = false): Telemetry & { readonly requests: RequestRecord[] } {
  const requests: RequestRecord[] = [];
  return {
    logText,
    requests,
    request: (record) => {
      requests.push(record);
    },
    modelLoaded: () => {},
    flush: async () => {},
  };
}
