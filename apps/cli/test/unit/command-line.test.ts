import { describe, expect, test } from 'vitest';
import { splitCommandLine } from '../../src/command-line.js';
import { UsageError } from '../../src/exit-codes.js';

describe('--trainer-command is split like a shell splits words, and nothing more', () => {
  test.each([
    ['python3 train.py', ['python3', 'train.py']],
    ['  python3\ttrain.py  --epochs 3 ', ['python3', 'train.py', '--epochs', '3']],
    [
      `python3 train.py --name "my model" --tag 'a b'`,
      ['python3', 'train.py', '--name', 'my model', '--tag', 'a b'],
    ],
    [`echo "a \\"quoted\\" \\$HOME" 'it''s'`, ['echo', 'a "quoted" $HOME', 'its']],
    ['echo a\\ b \\$HOME $HOME *.py ~', ['echo', 'a b', '$HOME', '$HOME', '*.py', '~']],
    [`echo "" ''`, ['echo', '', '']],
    [`echo "a\\nb"`, ['echo', 'a\\nb']],
  ])('%s', (line, argv) => {
    expect(splitCommandLine(line)).toEqual(argv);
  });

  test('an unclosed quote or an empty line is a usage error', () => {
    expect(() => splitCommandLine(`python3 "train.py`)).toThrow(UsageError);
    expect(() => splitCommandLine(`python3 "train.py`)).toThrow('unclosed " quote');
    expect(() => splitCommandLine('   ')).toThrow('--trainer-command is empty');
  });
});
