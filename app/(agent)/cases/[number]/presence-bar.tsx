'use client';
// Who else is on this case right now, and who is writing: so two agents do not answer one customer twice.
import type { CaseViewer } from '@/server/services/case-presence';

export function PresenceBar({ viewers, selfId }: { viewers: CaseViewer[]; selfId: string | null }) {
  const others = viewers.filter((v) => v.userId !== selfId);
  if (others.length === 0) return null;
  const writing = others.filter((v) => v.typing);
  return (
    <section className="presence-bar card" aria-label="Also on this case" data-testid="presence">
      <span className="muted small">Also viewing:</span>
      {others.map((v) => (
        <span key={v.userId} className="presence-person" data-testid="presence-viewer" data-typing={v.typing ?? ''}>
          {v.name}
        </span>
      ))}
      {writing.map((v) => (
        <span key={`typing-${v.userId}`} className="presence-typing" role="status" data-testid="presence-typing">
          {v.name} is writing {v.typing === 'note' ? 'a note' : 'a reply'}…
        </span>
      ))}
    </section>
  );
}
