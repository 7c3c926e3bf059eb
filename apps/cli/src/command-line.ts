import { UsageError } from './exit-codes.js';

/**
 * Splits a command line into argv the way a POSIX shell splits words, and does nothing else: no
 * variables, globs, `~`, pipes or redirections, since the program is run directly, without a shell.
 * Whitespace separates words; `'…'` keeps everything inside as is; `"…"` keeps everything inside except
 * that a backslash escapes `"`, `\`, `$` and `` ` ``; outside quotes a backslash escapes any character.
 *
 * @example splitCommandLine(`python3 train.py --name "my model" --tag 'a b'`)
 * // ['python3', 'train.py', '--name', 'my model', '--tag', 'a b']
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1] as string))
        word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 < line.length) word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new UsageError(`the command line ${JSON.stringify(line)} has an unclosed ${quote} quote`);
  if (inWord) words.push(word);
  if (words.length === 0)
    throw new UsageError('--trainer-command is empty: name the program, e.g. "python3 train.py"');
  return words;
}
