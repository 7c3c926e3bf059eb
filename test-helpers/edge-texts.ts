/**
 * Texts that have broken text pipelines before: shared by the parity test and the inference fuzz test.
 * Each entry says why it is here.
 */
export const EDGE_TEXTS: Readonly<Record<string, string>> = {
  empty: '',
  whitespace: ' \t\n\r\u00a0\u2003 ',
  punctuation: '!!! ... ??? --- (((;)))',
  accents: 'Crème brûlée à la française, déjà vu, naïve café',
  decomposedAccents: 'Cre\u0300me bru\u0302le\u0301e',
  greekFinalSigma: 'ΟΔΥΣΣΕΥΣ ΣΟΦΟΣ',
  turkishDottedI: 'İSTANBUL İyi ışık',
  cjk: '这部电影非常好看，我很喜欢。映画はとても面白かった',
  hindi: 'यह फ़िल्म बहुत अच्छी है नमस्ते',
  arabic: 'هذا الفيلم رائع جدا',
  emoji: 'great movie 👍🏽👨‍👩‍👧 🎉 terrible 💩',
  longToken: 'a'.repeat(3000),
  loneSurrogate: 'good \ud800 bad \udfff',
  nul: 'good\u0000bad movie',
  mixedScripts: 'Good ΚΑΛΟ хорошо 好 bad',
  digits: '10/10 would watch 2 times ١٢٣',
  newUnicode: 'ꟋꟌ 𐵐𐵑 \u1c89', // letters newer than RE2's and glibc's Unicode tables
};
