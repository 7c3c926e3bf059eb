// A small IAM evaluator for identity policies, after "Policy evaluation logic"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): a request is
// allowed when some Allow statement matches its action, resource and conditions and no Deny statement does;
// anything else is an implicit deny. Enough for what the doubles check: Action/NotAction and Resource with
// `*`/`?` wildcards, and the condition operators StringEquals, StringLike and Bool (a key missing from the
// request context never matches), and ForAllValues:StringEquals for multivalued keys: true when every value
// the request carries is one of the condition's, which holds too when the request carries none
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
// Anything else in a statement makes it throw rather than guess.

/** One statement of a policy document, resolved to plain strings. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** An identity policy: the statements of every policy attached to a principal. */
export interface PolicyDocument {
  readonly Statement: readonly PolicyStatement[];
}

/** What is asked: one action on one resource, with the request's condition keys. */
export interface AuthorizationRequest {
  readonly action: string;
  readonly resource: string;
  /** Single-valued keys as strings, multivalued keys (e.g. `sagemaker:InstanceTypes`) as arrays. */
  readonly context: Readonly<Record<string, string | readonly string[]>>;
}

const list = (v: string | readonly string[] | undefined): readonly string[] =>
  v === undefined ? [] : typeof v === 'string' ? [v] : v;

/** IAM wildcards: `*` any run of characters, `?` one character; case-insensitive for actions. */
function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

function conditionHolds(
  operator: string,
  key: string,
  wanted: unknown,
  context: AuthorizationRequest['context'],
) {
  if (!['StringEquals', 'StringLike', 'Bool', 'ForAllValues:StringEquals'].includes(operator))
    throw new Error(`the IAM evaluator does not know the condition operator ${operator}`);
  const found = Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
  const values = (Array.isArray(wanted) ? wanted : [wanted]).map(String);
  if (operator === 'ForAllValues:StringEquals') {
    const set = found === undefined ? [] : typeof found === 'string' ? [found] : found;
    return set.every((v) => values.includes(v));
  }
  if (found === undefined) return false;
  if (typeof found !== 'string')
    throw new Error(`${key} is multivalued: the IAM evaluator reads it only with ForAllValues`);
  const actual = found;
  switch (operator) {
    case 'StringEquals':
      return values.includes(actual);
    case 'StringLike':
      return values.some((v) => wildcard(v, actual, false));
    default:
      return values.some((v) => v.toLowerCase() === actual.toLowerCase()); // Bool
  }
}

function matches(statement: PolicyStatement, request: AuthorizationRequest): boolean {
  const known = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'Condition']);
  const unknown = Object.keys(statement).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new Error(`the IAM evaluator does not know ${unknown.join(', ')}`);
  const action =
    statement.NotAction !== undefined
      ? !list(statement.NotAction).some((a) => wildcard(a, request.action, true))
      : list(statement.Action).some((a) => wildcard(a, request.action, true));
  if (!action) return false;
  if (!list(statement.Resource).some((r) => wildcard(r, request.resource, false))) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, wanted]) => conditionHolds(operator, key, wanted, request.context)),
  );
}

/** `allowed`, or why not: an explicit deny, or no Allow statement matched (the implicit deny). */
export function authorize(
  policy: PolicyDocument,
  request: AuthorizationRequest,
): 'allowed' | 'explicit deny' | 'implicit deny' {
  const hits = policy.Statement.filter((s) => matches(s, request));
  if (hits.some((s) => s.Effect === 'Deny')) return 'explicit deny';
  return hits.some((s) => s.Effect === 'Allow') ? 'allowed' : 'implicit deny';
}
