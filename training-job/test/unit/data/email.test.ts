import { describe, expect, it } from 'vitest';
import { decodeWindows1252 } from '../../../src/data/charset.js';
import { emailToText } from '../../../src/data/email.js';
import { mulberry32 } from '../../../src/data/split.js';

/** An email from lines (joined with CRLF, as on the wire) and optional raw byte chunks. */
const mail = (...parts: (string | Buffer)[]) =>
  Buffer.concat(
    parts.map((p) => (typeof p === 'string' ? Buffer.from(p.replace(/\n/g, '\r\n'), 'latin1') : p)),
  );
const b64 = (text: string, encoding: BufferEncoding = 'utf8') =>
  Buffer.from(text, encoding)
    .toString('base64')
    .replace(/(.{76})/g, '$1\n');

describe('emailToText: headers', () => {
  it('joins the subject and the body with a blank line', () => {
    expect(emailToText(mail('From: a@b.c\nSubject: Hello there\n\nBody text.\n'))).toBe(
      'Hello there\n\nBody text.',
    );
  });

  it('skips an mbox "From " line and unfolds a folded subject', () => {
    const raw = mail(
      'From a@b.c  Thu Aug 22 12:36:23 2002\nSubject: a long\n  folded\n\tsubject\nTo: x\n\nbody\n',
    );
    expect(emailToText(raw)).toBe('a long folded subject\n\nbody');
  });

  it('decodes RFC 2047 encoded-words, dropping the space between adjacent ones', () => {
    const raw = mail(
      'Subject: Re: =?iso-8859-1?q?Caf=E9?=\n =?ISO-8859-1?Q?_cr=E8me?= =?utf-8?B?5pc=?= =?utf-8?B?pQ==?= =?x-unknown?q?=FC?=\n\nb\n',
    );
    // The two UTF-8 words hold halves of one character (E6 97 | A5 = 日).
    expect(emailToText(raw)).toBe('Re: Café crème日ü\n\nb');
  });

  it('reads a raw 8-bit subject as UTF-8, else in the charset the message declares', () => {
    const utf8 = mail('Subject: ', Buffer.from('Grüße'), '\n\nb\n');
    expect(emailToText(utf8)).toBe('Grüße\n\nb');
    const gb = mail(
      'Subject: ',
      Buffer.from([0xd6, 0xd0, 0xce, 0xc4]),
      '\nContent-Type: text/plain; charset=gb2312\n\nb\n',
    );
    expect(emailToText(gb)).toBe('中文\n\nb');
  });
});

describe('emailToText: bodies', () => {
  it('decodes quoted-printable in the declared charset (ISO-8859-1 read as windows-1252)', () => {
    const raw = mail(
      'Subject: qp\nContent-Type: text/plain; charset="ISO-8859-1"\nContent-Transfer-Encoding: quoted-printable\n\n',
      'Voil=E0 une ligne tr=E8s longue, coup=\n=E9e ici.=20\nPrix: 10=80, =3D ok, =ZZ stays\n',
    );
    expect(emailToText(raw)).toBe(
      'qp\n\nVoilà une ligne très longue, coupée ici. \nPrix: 10€, = ok, =ZZ stays',
    );
  });

  it('decodes base64 in UTF-8 and turns its CRLF into LF', () => {
    const raw = mail(
      'Subject: b64\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n',
      `${b64('Grüße aus Köln\r\nZweite Zeile')}\n`,
    );
    expect(emailToText(raw)).toBe('b64\n\nGrüße aus Köln\nZweite Zeile');
  });

  it('reads undeclared 8-bit text as UTF-8 when valid, else windows-1252', () => {
    expect(emailToText(mail('Subject: s\n\n', Buffer.from('naïve'), '\n'))).toBe('s\n\nnaïve');
    expect(emailToText(mail('Subject: s\n\n', Buffer.from([0x93, 0x68, 0x69, 0x94, 0xe9]), '\n'))).toBe(
      's\n\n“hi”é',
    );
    const unknown = mail(
      'Subject: s\nContent-Type: text/plain; charset=x-martian\n\n',
      Buffer.from([0xe9, 0x80]),
    );
    expect(emailToText(unknown)).toBe('s\n\né€');
  });

  it('takes the plain alternative of multipart/alternative, not both', () => {
    const raw = mail(
      'Subject: alt\nContent-Type: multipart/alternative; boundary="b1"\n\npreamble\n',
      '--b1\nContent-Type: text/plain; charset=us-ascii\n\nplain version\n',
      '--b1\nContent-Type: text/html\n\n<p>html version</p>\n--b1--\nepilogue\n',
    );
    expect(emailToText(raw)).toBe('alt\n\nplain version');
  });

  it('collects text parts of multipart/mixed, skipping attachments and other types', () => {
    const raw = mail(
      'Subject: mixed\nContent-Type: multipart/mixed; boundary=outer\n\n',
      '--outer\nContent-Type: multipart/alternative; boundary="outer-inner"\n\n',
      '--outer-inner\nContent-Type: text/html\n\n<b>only html here</b>\n--outer-inner--\n',
      '--outer\nContent-Type: text/plain\n\nfirst text\n',
      '--outer\nContent-Type: text/plain; name="notes.txt"\nContent-Disposition: attachment; filename="notes.txt"\n\nattached\n',
      '--outer\nContent-Type: image/gif\nContent-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=\n',
      '--outer\nContent-Type: message/rfc822\n\nSubject: inner\n\nforwarded text\n--outer--\n',
    );
    expect(emailToText(raw)).toBe('mixed\n\nfirst text\n\nforwarded text');
  });

  it('strips HTML when there is no plain text: scripts, styles, comments, tags, entities', () => {
    const raw = mail(
      'Subject: html\nContent-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n',
      '<html><head><style>p {color: red}</style></head><body><p>Hello&nbsp;&amp; welcome</p>',
      '<script>var x = 1 < 2;</script><!-- hidden -->\n<p>caf&eacute; &#8364;5 &#x263A; &#146;q&#148; &bogus; =\n=E9t=E9</p>',
      '<table><tr><td>a</td><td>b</td></tr></table>a &lt; b</body></html>\n',
    );
    // Block tags become line breaks; runs of them collapse to one blank line.
    expect(emailToText(raw)).toBe('html\n\nHello & welcome\n\ncafé €5 ☺ ’q” &bogus; été\n\na b\n\na < b');
  });

  it('uses the charset of an enclosing multipart or of an HTML <meta> when a part names none', () => {
    const inherited = mail(
      'Subject: s\nContent-Type: multipart/mixed; charset=gb2312; boundary=x\n\n--x\nContent-Type: text/plain\n\n',
      Buffer.from([0xd6, 0xd0, 0xce, 0xc4]),
      '\n--x--\n',
    );
    expect(emailToText(inherited)).toBe('s\n\n中文');
    const meta = mail(
      'Subject: s\nContent-Type: text/html\n\n<meta http-equiv="Content-Type" content="text/html; charset=big5"><p>',
      Buffer.from([0xa4, 0xa4, 0xa4, 0xe5]),
      '</p>\n',
    );
    expect(emailToText(meta)).toBe('s\n\n中文');
  });

  it('keeps only the subject of a message without text, and the raw body when there is nothing else', () => {
    const imageOnly = mail(
      'Subject: look\nContent-Type: image/gif\nContent-Transfer-Encoding: base64\n\nR0lGODlh\n',
    );
    expect(emailToText(imageOnly)).toBe('look');
    const bare = mail('Content-Type: application/octet-stream\n\nraw bytes here\n');
    expect(emailToText(bare)).toBe('raw bytes here');
  });
});

describe('emailToText: broken messages never throw', () => {
  it('treats a multipart without a usable boundary as plain text', () => {
    expect(emailToText(mail('Subject: s\nContent-Type: multipart/mixed\n\njust text\n'))).toBe(
      's\n\njust text',
    );
    const missing = mail('Subject: s\nContent-Type: multipart/mixed; boundary=zz\n\nno boundary lines\n');
    expect(emailToText(missing)).toBe('s\n\nno boundary lines');
    const unclosed = mail(
      'Subject: s\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\n\nlast part, never closed\n',
    );
    expect(emailToText(unclosed)).toBe('s\n\nlast part, never closed');
  });

  it('survives deep nesting, empty input, headers without a body and garbage base64', () => {
    let nested = 'deepest';
    for (let i = 0; i < 2000; i++)
      nested = `Content-Type: multipart/mixed; boundary=b${i}\n\n--b${i}\n${nested}\n--b${i}--`;
    expect(typeof emailToText(mail(`Subject: deep\n${nested}\n`))).toBe('string');
    expect(emailToText(new Uint8Array(0))).toBe('');
    expect(emailToText(mail('Subject: only headers'))).toBe('only headers');
    const junk = mail('Subject: j\nContent-Transfer-Encoding: base64\n\n!!!@@@###\n');
    expect(typeof emailToText(junk)).toBe('string');
  });

  it('returns a string for random bytes and for randomly damaged multipart messages', () => {
    const random = mulberry32(2024);
    const template = mail(
      'Subject: =?utf-8?B?SGk=?=\nContent-Type: multipart/alternative; boundary="q"\n\n--q\n',
      'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nh=C3=A9llo =\n',
      '--q\nContent-Type: text/html\n\n<p>x &amp; y</p>\n--q--\n',
    );
    for (let n = 0; n < 300; n++) {
      const bytes = n % 2 === 0 ? Buffer.from(template) : Buffer.alloc(Math.floor(random() * 400));
      for (let k = 0; k < (n % 2 === 0 ? 8 : bytes.length); k++) {
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      expect(typeof emailToText(bytes)).toBe('string');
    }
  });
});

describe('decodeWindows1252', () => {
  it('maps 0x80-0x9F as the WHATWG table does, the rest as ISO-8859-1', () => {
    expect(decodeWindows1252(Uint8Array.of(0x80, 0x81, 0x92, 0x99, 0x9f, 0xa0, 0xe9, 0x41))).toBe(
      '€\u0081’™Ÿ\u00a0éA',
    );
  });
});
