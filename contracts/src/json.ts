/**
 * A `JSON.parse` reviver that makes every string (and key) well-formed: a lone surrogate, which only a
 * `\ud800`-style escape can carry into JavaScript, becomes U+FFFD, as it would crossing into UTF-8.
 * Texts enter the services through it, so nothing they write back (a response, a report, a log) holds
 * a lone surrogate that jq, Python's json or Go's encoding/json would refuse or alter.
 * @example JSON.parse('{"text": "a\\ud800b"}', wellFormedStrings) // { text: 'a\ufffdb' }
 */
export function wellFormedStrings(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.some((k) => !k.isWellFormed())) {
      // fromEntries defines own properties, so "__proto__" stays an ordinary key.
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toWellFormed(), v]));
    }
  }
  return value;
}
