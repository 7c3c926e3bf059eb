// Lambda events in the exact shapes API Gateway and Function URLs send (fields as in the AWS
// documentation's examples), so adapter tests parse what production parses.

export interface EventInput {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly contentType?: string;
  readonly base64?: boolean;
  readonly requestId?: string;
}

/** HTTP API, payload format 2.0 (`$default` stage unless given). */
export function httpApiEvent(input: EventInput, stage = '$default') {
  const rawPath = stage === '$default' ? input.path : `/${stage}${input.path}`;
  const body =
    input.body === undefined
      ? undefined
      : input.base64
        ? Buffer.from(input.body).toString('base64')
        : input.body;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: 'trace=1',
    cookies: ['session=abc'],
    headers: {
      accept: '*/*',
      'content-length': String(input.body === undefined ? 0 : Buffer.byteLength(input.body)),
      ...(input.contentType === undefined ? {} : { 'content-type': input.contentType }),
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'user-agent': 'curl/8.5.0',
      'x-amzn-trace-id': 'Root=1-65f1b2c3-0123456789abcdef01234567',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
    },
    queryStringParameters: { trace: '1' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: {
        method: input.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'curl/8.5.0',
      },
      requestId: input.requestId ?? 'JKJaXmPLvHcESHA=',
      routeKey: '$default',
      stage,
      time: '10/Mar/2025:09:30:00 +0000',
      timeEpoch: 1741599000000,
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: input.base64 === true,
  };
}

/** Lambda Function URL: payload 2.0 with `requestContext.stage` `$default` and no routeKey route. */
export function functionUrlEvent(input: EventInput) {
  const event = httpApiEvent(input);
  return {
    ...event,
    routeKey: '$default',
    requestContext: {
      ...event.requestContext,
      domainName: 'abcdefghijklmnop.lambda-url.eu-west-1.on.aws',
      domainPrefix: 'abcdefghijklmnop',
      authorizer: { iam: null },
    },
  };
}

/** REST API, payload format 1.0 (proxy integration), headers in the client's case. */
export function restApiEvent(input: EventInput) {
  const headers: Record<string, string> = {
    Accept: '*/*',
    Host: 'abc123.execute-api.eu-west-1.amazonaws.com',
    'User-Agent': 'curl/8.5.0',
    'X-Forwarded-For': '203.0.113.7',
    ...(input.contentType === undefined ? {} : { 'Content-Type': input.contentType }),
  };
  return {
    resource: '/{proxy+}',
    path: input.path,
    httpMethod: input.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: input.path.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      httpMethod: input.method,
      identity: { sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
      path: `/prod${input.path}`,
      protocol: 'HTTP/1.1',
      requestId: input.requestId ?? 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTimeEpoch: 1741599000000,
      resourceId: '123456',
      resourcePath: '/{proxy+}',
      stage: 'prod',
    },
    body:
      input.body === undefined
        ? null
        : input.base64
          ? Buffer.from(input.body).toString('base64')
          : input.body,
    isBase64Encoded: input.base64 === true,
  };
}

/** The context fields the adapter may read. */
export const lambdaContext = { awsRequestId: 'a1b2c3d4-0000-4000-8000-000000000001' };
