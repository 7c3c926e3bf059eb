import type { ApiError } from '../src/api-types.js';

const token = document.querySelector<HTMLMetaElement>('meta[name="slipway-token"]')?.content ?? '';

/** A refused or failed API call, with the server's message. */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers:
      method === 'POST'
        ? { 'content-type': 'application/json', 'x-slipway-token': token }
        : { accept: 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    credentials: 'same-origin',
  });
  const data = (await response.json().catch(() => null)) as unknown;
  if (!response.ok) {
    const e = (data as ApiError | null)?.error;
    throw new ApiCallError(
      response.status,
      e?.code ?? 'error',
      e?.message ?? `${response.status} ${response.statusText}`,
    );
  }
  return data as T;
}

export const get = <T>(path: string): Promise<T> => call<T>('GET', path);
export const post = <T>(path: string, body: unknown): Promise<T> => call<T>('POST', path, body);
