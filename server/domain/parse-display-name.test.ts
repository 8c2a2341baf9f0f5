import { describe, it, expect } from 'vitest';
import { decodeEncodedWords, parseDisplayName } from './parse-display-name';

const fromName = (displayName: string | null | undefined, address = 'someone@example.com') =>
  parseDisplayName(displayName, address);

describe('parseDisplayName', () => {
  it('splits "First Last"', () => {
    expect(fromName('Jane Doe')).toEqual({ firstName: 'Jane', lastName: 'Doe', fromDisplayName: true });
  });

  it('reads "Last, First"', () => {
    expect(fromName('Doe, Jane')).toEqual({ firstName: 'Jane', lastName: 'Doe', fromDisplayName: true });
    expect(fromName('Doe, Jane Q.')).toMatchObject({ firstName: 'Jane', lastName: 'Doe' });
  });

  it('removes double or single quotes around the name', () => {
    expect(fromName('"Jane Doe"')).toMatchObject({ firstName: 'Jane', lastName: 'Doe' });
    expect(fromName("'Jane Doe'")).toMatchObject({ firstName: 'Jane', lastName: 'Doe' });
    expect(fromName('"Doe, Jane"')).toMatchObject({ firstName: 'Jane', lastName: 'Doe' });
    expect(fromName('"\'Jane Doe\'"')).toMatchObject({ firstName: 'Jane', lastName: 'Doe' });
  });

  it('undoes backslash escapes inside a quoted name', () => {
    expect(fromName('"Jane \\"JD\\" Doe"')).toMatchObject({ firstName: 'Jane', lastName: 'Doe' });
  });

  it('drops middle names and initials', () => {
    expect(fromName('Jane Q. Doe')).toMatchObject({ firstName: 'Jane', lastName: 'Doe' });
    expect(fromName('Mary Ann Smith')).toMatchObject({ firstName: 'Mary', lastName: 'Smith' });
  });

  it('keeps lower-case particles with the last name', () => {
    expect(fromName('Ludwig van Beethoven')).toMatchObject({ firstName: 'Ludwig', lastName: 'van Beethoven' });
    expect(fromName('Juana de la Cruz')).toMatchObject({ firstName: 'Juana', lastName: 'de la Cruz' });
    expect(fromName('van Beethoven, Ludwig')).toMatchObject({ firstName: 'Ludwig', lastName: 'van Beethoven' });
  });

  it('drops titles in front and suffixes at the end', () => {
    expect(fromName('Dr. Jane Doe')).toMatchObject({ firstName: 'Jane', lastName: 'Doe' });
    expect(fromName('Jane Doe, PhD')).toMatchObject({ firstName: 'Jane', lastName: 'Doe' });
    expect(fromName('John Smith Jr.')).toMatchObject({ firstName: 'John', lastName: 'Smith' });
  });

  it('keeps a lone title rather than leaving no name', () => {
    expect(fromName('Dr.')).toMatchObject({ firstName: 'Dr.', lastName: '', fromDisplayName: true });
  });

  it('drops comments in parentheses', () => {
    expect(fromName('Jane Doe (Acme Support)')).toMatchObject({ firstName: 'Jane', lastName: 'Doe' });
  });

  it('drops an address left in the display name', () => {
    expect(fromName('Jane Doe <jane@example.com>')).toMatchObject({ firstName: 'Jane', lastName: 'Doe' });
  });

  it('gives a single word as the first name', () => {
    expect(fromName('Jane')).toEqual({ firstName: 'Jane', lastName: '', fromDisplayName: true });
  });

  it('collapses and trims whitespace, including control characters', () => {
    expect(fromName('  Jane \t  Doe \r\n')).toMatchObject({ firstName: 'Jane', lastName: 'Doe' });
  });

  it('treats commas that are not "Last, First" as spaces', () => {
    expect(fromName('Jane, Q, Doe')).toMatchObject({ firstName: 'Jane', lastName: 'Doe' });
  });

  it('derives the name from the address when the display name is only punctuation', () => {
    expect(fromName(' , ', 'jane.doe@example.com')).toEqual({ firstName: 'Jane', lastName: 'Doe', fromDisplayName: false });
    expect(fromName('""', 'jane.doe@example.com')).toMatchObject({ firstName: 'Jane', fromDisplayName: false });
  });

  it('decodes a base64 UTF-8 encoded-word', () => {
    expect(fromName('=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?=')).toMatchObject({ firstName: 'Jürgen', lastName: 'Müller' });
  });

  it('decodes a quoted-printable ISO-8859-1 encoded-word', () => {
    expect(fromName('=?ISO-8859-1?Q?Ren=E9_Fran=E7ois?=')).toMatchObject({ firstName: 'René', lastName: 'François' });
  });

  it('derives the name from the address when the display name is the address', () => {
    expect(fromName('jane.doe@example.com', 'jane.doe@example.com')).toEqual({ firstName: 'Jane', lastName: 'Doe', fromDisplayName: false });
    expect(fromName('<jane.doe@example.com>', 'jane.doe@example.com')).toMatchObject({ firstName: 'Jane', fromDisplayName: false });
    expect(fromName('"jane.doe@example.com"', 'jane.doe@example.com')).toMatchObject({ firstName: 'Jane', fromDisplayName: false });
  });

  describe('without a display name', () => {
    it('splits a dotted local part into capitalised first and last name', () => {
      expect(fromName(null, 'jane.doe@example.com')).toEqual({ firstName: 'Jane', lastName: 'Doe', fromDisplayName: false });
      expect(fromName(undefined, 'jane_q-doe@example.com')).toMatchObject({ firstName: 'Jane', lastName: 'Doe' });
    });

    it('keeps a one-word local part as written', () => {
      expect(fromName('', 'jdoe@example.com')).toEqual({ firstName: 'jdoe', lastName: '', fromDisplayName: false });
    });

    it('drops the +tag of a subaddress', () => {
      expect(fromName('   ', 'jane.doe+support@example.com')).toMatchObject({ firstName: 'Jane', lastName: 'Doe' });
    });

    it('uses a quoted local part', () => {
      expect(fromName(null, '"jane doe"@example.com')).toMatchObject({ firstName: 'Jane', lastName: 'Doe' });
    });

    it('uses a local part that starts with + without the +', () => {
      expect(fromName(null, '+orders@example.com')).toMatchObject({ firstName: 'orders', lastName: '' });
    });

    it('uses the whole value when the address has no @', () => {
      expect(fromName(null, 'jane.doe')).toMatchObject({ firstName: 'Jane', lastName: 'Doe' });
    });

    it('gives empty names for an empty address', () => {
      expect(fromName(null, '')).toEqual({ firstName: '', lastName: '', fromDisplayName: false });
    });
  });
});

describe('decodeEncodedWords', () => {
  it('leaves text without encoded-words alone', () => {
    expect(decodeEncodedWords('Jane Doe =? not encoded')).toBe('Jane Doe =? not encoded');
  });

  it('keeps an equals sign in a Q word that is not followed by two hex digits', () => {
    expect(decodeEncodedWords('=?UTF-8?Q?a=ZZb=3?=')).toBe('a=ZZb=3');
  });

  it('decodes charsets beyond Latin-1 and UTF-8', () => {
    expect(decodeEncodedWords('=?ISO-8859-2?Q?=A3ukasz_Nowak?=')).toBe('Łukasz Nowak');
  });

  it('accepts lower-case encodings and a language suffix on the charset', () => {
    expect(decodeEncodedWords('=?utf-8?q?J=C3=BCrgen?=')).toBe('Jürgen');
    expect(decodeEncodedWords('=?UTF-8*de?Q?J=C3=BCrgen?=')).toBe('Jürgen');
  });

  it('drops the whitespace between adjacent encoded-words', () => {
    expect(decodeEncodedWords('=?UTF-8?Q?J=C3=BCr?= \r\n =?UTF-8?Q?gen?=')).toBe('Jürgen');
  });

  it('decodes a character whose bytes are split across two encoded-words', () => {
    expect(decodeEncodedWords('=?UTF-8?B?Wm/D?= =?UTF-8?B?qyDDhW5nc3Ryw7Zt?=')).toBe('Zoë Ångström');
  });

  it('decodes adjacent words of different charsets each on their own', () => {
    expect(decodeEncodedWords('=?ISO-8859-1?Q?Ren=E9?= =?UTF-8?Q?_M=C3=BCller?=')).toBe('René Müller');
  });

  it('keeps the text between an encoded-word and plain words', () => {
    expect(decodeEncodedWords('Dr. =?UTF-8?Q?J=C3=BCrgen?= Müller')).toBe('Dr. Jürgen Müller');
  });

  it('keeps an encoded-word in a charset it cannot decode as written', () => {
    expect(decodeEncodedWords('=?x-unknown?Q?Jane?= Doe')).toBe('=?x-unknown?Q?Jane?= Doe');
    expect(parseDisplayName('=?x-unknown?Q?Jane?= Doe', 'j@x.com')).toMatchObject({ firstName: '=?x-unknown?Q?Jane?=', lastName: 'Doe' });
  });
});
