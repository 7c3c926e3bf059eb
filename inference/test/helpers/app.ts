import {
  type AppRequest,
  InferenceApp,
  type InferenceLimits,
  loadModel,
  ModelHolder,
  resolveLimits,
} from '../../src/index.js';
import { type FakeClassifier, fakeOpener } from './fake-classifier.js';
import { recordingTelemetry } from './telemetry.js';

/** An InferenceApp over a fake classifier (unit tests of routing and validation). */
export async function fakeApp(limits: Partial<InferenceLimits> = {}) {
  const created: FakeClassifier[] = [];
  const model = await loadModel('/m/3', { open: fakeOpener({ '/m/3': {} }, created) });
  const telemetry = recordingTelemetry();
  const holder = new ModelHolder(model);
  const app = new InferenceApp({ holder, limits: resolveLimits(limits), telemetry });
  return { app, holder, telemetry, classifier: created[0] as FakeClassifier };
}

/** A request with JSON defaults. */
export function req(
  method: string,
  path: string,
  body = '',
  contentType: string | undefined = 'application/json',
): AppRequest {
  return { method, path, body, contentType, requestId: 'req-1' };
}
