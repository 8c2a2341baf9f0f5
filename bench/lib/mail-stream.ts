// Steady mail for the drills: one realistic message every `intervalMs`, round robin over the mailboxes,
// delivered into each Maildir (so it keeps arriving while Dovecot or Postgres is down), every message
// recorded for the exactly-once check at the end.
import type { DovecotHarness } from '../../test/harness/dovecot';
import type { Mailbox } from './deployment';
import type { Delivered } from './exactly-once';
import { deliverToMaildir } from './maildir';
import { seededRandom } from '../../test/harness/seeded-random';
import { realisticMail } from './mail-generator';

export type DeliveredAt = Delivered & { at: number };

export class MailStream {
  readonly delivered: DeliveredAt[] = [];
  private timer: NodeJS.Timeout | null = null;
  private n = 0;
  private readonly rand: () => number;

  constructor(
    private readonly dovecot: DovecotHarness,
    private readonly boxes: Mailbox[],
    private readonly label: string,
    seed = 7,
  ) {
    this.rand = seededRandom(seed);
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.deliverOne(), intervalMs);
  }

  deliverOne(): DeliveredAt {
    const box = this.boxes[this.n % this.boxes.length]!;
    const token = `${this.label}-${this.n++}`;
    const mail = realisticMail(this.rand, { token, to: box.address });
    deliverToMaildir(this.dovecot, box.user, mail.raw);
    const d = { processorId: box.processorId, messageId: mail.messageId, at: performance.now() };
    this.delivered.push(d);
    return d;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
