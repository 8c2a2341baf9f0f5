// Who sent a message, when its From is missing or unusable. RFC 5322 puts the author in From and the
// agent that sent it on their behalf in Sender; bounces and some mailers leave From empty (`<>`), write a
// name with no address, or repeat From with a broken first copy. The sender is then the first usable
// address of the From headers (all of them, in order), then of Sender, then of Reply-To; the message
// records which header it came from (case_messages.sender_source) and the contact rule applies to it as
// to any From (server/domain/plan-intake.ts).
//
// When no header has a usable address, the first address written anywhere is kept as it is (source
// 'from' when From had one): the contact rule then says why it links no contact ("… is not an email
// address"), which tells an agent more than an empty sender would.

export type SenderSource = 'from' | 'sender' | 'reply_to' | 'none';

export type SenderAddress = { address: string; name: string };

export type SenderHeaders = {
  /** Every address of every From header, in order. */
  from: SenderAddress[];
  sender: SenderAddress[];
  replyTo: SenderAddress[];
};

export type ChosenSender = { sender: SenderAddress | null; source: SenderSource };

// One @ with something on both sides and no spaces: enough to be worth a contact. Anything stricter
// belongs to the sender's mail server, which already accepted it. Longer than RFC 5321 allows (64 + 1 + 255)
// is not an address either, and a contact index entry could not hold a huge one.
const ADDRESS = /^[^\s@]+@[^\s@]+$/;
export const MAX_ADDRESS_CHARS = 320;

export function isUsableAddress(address: string): boolean {
  return address.length <= MAX_ADDRESS_CHARS && ADDRESS.test(address);
}

export function chooseSender(headers: SenderHeaders): ChosenSender {
  const ordered: Array<[Exclude<SenderSource, 'none'>, SenderAddress[]]> = [
    ['from', headers.from],
    ['sender', headers.sender],
    ['reply_to', headers.replyTo],
  ];
  for (const [source, list] of ordered) {
    const usable = list.find((a) => isUsableAddress(a.address));
    if (usable) return { sender: usable, source };
  }
  for (const [source, list] of ordered) {
    const written = list.find((a) => a.address !== '');
    if (written) return { sender: written, source };
  }
  return { sender: null, source: 'none' };
}
