import type { HighlightSegment } from '@/server/domain/case-search';

/** Search matches shown as text: each piece is a React text node, the matched ones inside <mark>. */
export function HighlightedText({ segments }: { segments: HighlightSegment[] }) {
  return (
    <>
      {segments.map((s, i) => (s.match ? <mark key={i}>{s.text}</mark> : <span key={i}>{s.text}</span>))}
    </>
  );
}
