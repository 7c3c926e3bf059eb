import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTelemetry, type RequestRecord } from '../../src/index.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const record: RequestRecord = {
  requestId: 'r-1',
  method: 'POST',
  path: '/predict',
  status: 200,
  latencyMs: 0.42,
  batchSize: 2,
  numChars: 17,
  model: { name: 'sentiment', version: 3 },
  texts: ['secret one', 'secret 2'],
};

function capture() {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
    lines.push(String(line));
  });
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  });
  return { lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>), out };
}

describe('createTelemetry', () => {
  it('emits EMF with the namespace, service and model version dimensions, flagging the first request as cold', async () => {
    const { parsed } = capture();
    const logger = new Logger({ serviceName: 'test', logLevel: 'ERROR' });
    // Outside Lambda, EMF must be told to print locally (FACTS.md).
    const telemetry = createTelemetry({
      logger,
      metrics: { namespace: 'acme', service: 'reviews' },
      emfEnvironment: 'Local',
    });
    telemetry.modelLoaded({ name: 'sentiment', version: 3 }, 31.5, '/opt/model');
    telemetry.request(record);
    telemetry.request({ ...record, requestId: 'r-2' });
    await telemetry.flush();
    const [cold, warm] = parsed();
    expect(cold?._aws).toMatchObject({
      CloudWatchMetrics: [
        {
          Namespace: 'acme',
          Dimensions: [['Service', 'ModelVersion']],
          Metrics: expect.arrayContaining([
            { Name: 'latency', Unit: 'Milliseconds' },
            { Name: 'batch_size', Unit: 'Count' },
            { Name: 'input.num_chars', Unit: 'Count' },
            { Name: 'cold_start', Unit: 'Count' },
            { Name: 'model.load_time', Unit: 'Milliseconds' },
          ]),
        },
      ],
    });
    expect(cold).toMatchObject({
      Service: 'reviews',
      ModelVersion: 'sentiment@3',
      latency: 0.42,
      batch_size: 2,
      'input.num_chars': 17,
      cold_start: 1,
      'model.load_time': 31.5,
      requestId: 'r-1',
      coldStart: true,
    });
    expect(warm).toMatchObject({ cold_start: 0, requestId: 'r-2', coldStart: false });
    expect(warm).not.toHaveProperty('model.load_time');
  });

  it('emits no metrics when they are off', async () => {
    const { lines } = capture();
    const telemetry = createTelemetry({ logger: new Logger({ logLevel: 'ERROR' }), metrics: false });
    telemetry.request(record);
    await telemetry.flush();
    expect(lines).toEqual([]);
  });

  it('logs rejections with the request id, and texts only when text logging is on', async () => {
    const { parsed } = capture();
    const logger = new Logger({ serviceName: 'svc', logLevel: 'INFO' });
    const quiet = createTelemetry({ logger, metrics: false });
    const { texts: _texts, ...withoutTexts } = record;
    quiet.request({ ...withoutTexts, status: 400, errorCode: 'invalid_json' });
    const chatty = createTelemetry({ logger, metrics: false, logText: true });
    expect(chatty.logText).toBe(true);
    chatty.request({ ...record, status: 400, errorCode: 'text_too_long' });
    const [first, second] = parsed();
    expect(first).toMatchObject({
      level: 'INFO',
      message: 'request rejected',
      service: 'svc',
      requestId: 'r-1',
      status: 400,
      errorCode: 'invalid_json',
    });
    expect(first).not.toHaveProperty('texts');
    expect(second).toMatchObject({ errorCode: 'text_too_long', texts: ['secret one', 'secret 2'] });
  });
});
