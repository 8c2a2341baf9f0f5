// Authentication-Results (RFC 8601): what the receiving mail server found when it checked SPF, DKIM
// and DMARC. Any sender can write this header, so only the instances stamped by the processor's own
// server (its authserv-id, named by the admin) are read, and of those only the topmost: a server adds
// its header above everything that was already in the message, and a forged one from the sender sits
// below it (RFC 8601 §5 asks the server to remove forgeries with its own id; not every server does).

export const AUTH_RESULTS = ['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror', 'policy'] as const;
export type AuthResult = (typeof AUTH_RESULTS)[number];

export type SenderAuthentication = {
  /** The authserv-id the results were read from. */
  authservId: string;
  spf: AuthResult | null;
  dkim: AuthResult | null;
  dmarc: AuthResult | null;
  /** The domain DMARC checked (header.from), when the server says. */
  fromDomain: string | null;
};
