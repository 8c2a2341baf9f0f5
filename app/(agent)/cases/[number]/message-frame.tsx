'use client';
// An email's HTML, already sanitized by the server, shown in a frame that may not run scripts and
// does not share our origin; its own Content-Security-Policy lets only inline styles and our
// attachment images load. Remote images stay blocked until the agent asks for them for this message.
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { buildMessageDocument } from '@/server/mail/message-document';
import { useTRPC } from '../../../trpc';

// Popups let links in the mail open in a new tab (as the sanitizer marks them), outside the sandbox.
const SANDBOX = 'allow-popups allow-popups-to-escape-sandbox';

type Props = { messageId: string; html: string; remoteImages: number; title: string };

function useOrigin(): string | null {
  const [origin, setOrigin] = useState<string | null>(null);
  useEffect(() => setOrigin(window.location.origin), []);
  return origin;
}

export function MessageFrame({ messageId, html, remoteImages, title }: Props) {
  const trpc = useTRPC();
  const origin = useOrigin();
  const [allowRemote, setAllowRemote] = useState(false);
  const withImages = useQuery({
    ...trpc.cases.messageHtml.queryOptions({ messageId, allowRemoteImages: true }),
    enabled: allowRemote,
  });
  const showingRemote = allowRemote && withImages.data !== undefined;
  const body = showingRemote ? withImages.data.html : html;

  return (
    <div className="message-html">
      {remoteImages > 0 && (
        <div className="remote-images">
          {showingRemote ? (
            <span className="muted small">Remote images are shown for this message.</span>
          ) : (
            <>
              <span className="muted small">
                {remoteImages} remote {remoteImages === 1 ? 'image is' : 'images are'} blocked: loading them tells the sender you read this.
              </span>
              <button type="button" className="button small" onClick={() => setAllowRemote(true)} disabled={allowRemote}>
                {allowRemote ? 'Loading…' : 'Show remote images'}
              </button>
            </>
          )}
          {withImages.isError && <span className="field-error">{withImages.error.message}</span>}
        </div>
      )}
      <div className="message-frame-box">
        {origin && (
          <iframe
            title={title}
            sandbox={SANDBOX}
            referrerPolicy="no-referrer"
            srcDoc={buildMessageDocument({ bodyHtml: body, origin, allowRemoteImages: showingRemote })}
            data-testid="message-frame"
          />
        )}
      </div>
    </div>
  );
}
