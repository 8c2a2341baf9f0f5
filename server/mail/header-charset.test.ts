import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { charsetCandidates, decodeCleanly, decodeHeaderBytes, normalizeCharset } from './header-charset';

const bytes = (text: string, charset: string) => iconv.encode(text, charset);
const decode = (text: string, charset: string, declared: string[] = []) => {
  const raw = bytes(text, charset);
  return decodeHeaderBytes(raw, charsetCandidates({ declared, sample: raw })).text;
};

describe('decodeHeaderBytes with charsetCandidates', () => {
  it.each([
    ['GB2312', '转发：关于会议的通知', 'gb2312'],
    ['GB18030', '测试邮件', 'gb18030'],
    ['Big5', '會議通知', 'big5'],
    ['Shift_JIS', '会議のお知らせ', 'shift_jis'],
    ['EUC-KR', '회의 안내', 'euc-kr'],
    ['KOI8-R', 'тест тест', 'koi8-r'],
    ['windows-1252', 'Wilhelmsen Håvard', 'windows-1252'],
  ])('recognises %s without a declared charset', (_name, text, charset) => {
    expect(decode(text, charset)).toBe(text);
  });

  it('uses the declared charset first', () => {
    // windows-1251 bytes read as KOI8-R are another Cyrillic text, just as clean: the declaration decides.
    expect(decode('Привет', 'windows-1251', ['windows-1251'])).toBe('Привет');
  });

  it('prefers a detected CJK charset over a declared single-byte one, which decodes anything', () => {
    expect(decode('绩效管理办法.xls', 'gbk', ['iso-8859-1'])).toBe('绩效管理办法.xls');
  });

  it('reads GB2312 declared as such with GBK-only characters (GB18030 is the superset)', () => {
    expect(decode('镕', 'gbk', ['gb2312'])).toBe('镕');
  });

  it('always gives text, Latin-1 at worst, never U+FFFD', () => {
    const { text } = decodeHeaderBytes(Buffer.from([0x81, 0x8d, 0x41]), ['windows-1252']);
    expect(text).toBe('\u0081\u008dA');
  });
});

describe('decodeCleanly', () => {
  it('refuses a decode that leaves U+FFFD or control characters', () => {
    expect(decodeCleanly(Buffer.from([0xff, 0x41]), 'gb18030')).toBeNull();
    expect(decodeCleanly(Buffer.from([0x81]), 'windows-1252')).toBeNull();
    expect(decodeCleanly(Buffer.from('abc'), 'windows-1252')).toBe('abc');
  });
});

describe('normalizeCharset', () => {
  it('maps mailers labels to iconv-lite names and drops what raw 8-bit bytes cannot be in', () => {
    expect(normalizeCharset('"GB2312"')).toBe('gb18030');
    expect(normalizeCharset('ks_c_5601-1987')).toBe('cp949');
    expect(normalizeCharset('UTF-8')).toBeNull();
    expect(normalizeCharset('us-ascii')).toBeNull();
    expect(normalizeCharset('x-no-such-charset')).toBeNull();
  });
});
