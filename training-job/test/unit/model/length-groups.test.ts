import { describe, expect, it } from 'vitest';
import { lengthGroups } from '../../../src/model/onnx-classifier.js';

const text = (length: number) => 'a'.repeat(length);

describe('lengthGroups', () => {
  it('runs every text exactly once, shortest first, at most maxBatch per run', () => {
    const texts = Array.from({ length: 300 }, (_, i) => text((i * 7919) % 997));
    const groups = lengthGroups(texts, 64);
    expect(groups.flat().sort((a, b) => a - b)).toEqual(texts.map((_, i) => i));
    const lengths = groups.flat().map((i) => (texts[i] as string).length);
    expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
    for (const group of groups) expect(group.length).toBeLessThanOrEqual(64);
  });

  it('keeps short texts of similar length in one run', () => {
    const texts = Array.from({ length: 64 }, (_, i) => text(80 + (i % 40)));
    expect(lengthGroups(texts, 256)).toHaveLength(1);
  });

  it('runs a long e-mail apart from the short texts it came with', () => {
    const texts = [text(120), text(14_087), text(90), text(200), text(150)];
    expect(lengthGroups(texts, 256)).toEqual([[2, 0, 4, 3], [1]]);
  });

  it('gives no run for no text', () => {
    expect(lengthGroups([], 64)).toEqual([]);
  });
});
