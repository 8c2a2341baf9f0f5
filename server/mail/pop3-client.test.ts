import { describe, expect, it } from 'vitest';
import { unstuff } from './pop3-client';

describe('unstuff', () => {
  it('drops the dot a POP3 server adds to each line that starts with a dot, the first line included', () => {
    const sent = Buffer.from('..first\r\nplain\r\n...two dots\r\n..\r\nend\r\n', 'latin1');
    expect(unstuff(sent).toString('latin1')).toBe('.first\r\nplain\r\n..two dots\r\n.\r\nend\r\n');
  });

  it('leaves a message without such lines as it is', () => {
    const sent = Buffer.from('Subject: a\r\n\r\nno dots. here.\r\n');
    expect(unstuff(sent)).toEqual(sent);
  });
});
