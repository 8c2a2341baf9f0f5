'use client';
// An OAuth2 processor's sign-in: whether it works, the provider's words when it refused, and Connect / Reconnect,
// which sends the browser to the provider's sign-in page (the flow is bound to this browser session).
import { useMutation } from '@tanstack/react-query';
import type { ProcessorView } from '@/server/services/processors';
import { formatWhen } from '../../../components/processor-state';
import { messageOf } from '../../../form-errors';
import { useToast } from '../../../toast';
import { useTRPC } from '../../../trpc';

export function OAuthSection({ processor }: { processor: ProcessorView }) {
  const trpc = useTRPC();
  const toast = useToast();
  const connect = useMutation(trpc.oauth.connect.mutationOptions());
  if (processor.authMethod !== 'oauth2') return null;
  const provider = processor.oauthProviderName ?? 'the provider';

  async function onConnect() {
    try {
      const { url } = await connect.mutateAsync({ processorId: processor.id });
      window.location.assign(url);
    } catch (err) {
      toast.error(messageOf(err));
    }
  }

  const label = processor.oauthState === null ? `Connect with ${provider}` : 'Reconnect';
  return (
    <section className="card stack-tight" aria-label="OAuth2 sign-in" data-testid="oauth-section" data-oauth-state={processor.oauthState ?? 'not_connected'}>
      <h2>Sign-in: OAuth2 with {provider}</h2>
      {processor.oauthState === null && <p>Not connected yet. Sign in as the mailbox (or as a user with full access to it, for a shared mailbox).</p>}
      {processor.oauthState === 'connected' && (
        <p className="form-ok">
          Connected as {processor.login}. The sign-in was last renewed {formatWhen(processor.oauthRefreshedAt)}.
        </p>
      )}
      {processor.oauthState === 'reconnect_needed' && (
        <p className="form-error" role="alert">
          {provider} refused to renew the sign-in on {formatWhen(processor.oauthErrorAt)}: <span data-testid="oauth-error">{processor.oauthError}</span>. The
          mailbox is not read until someone reconnects it (consent revoked, password changed or the client secret expired).
        </p>
      )}
      {processor.oauthSecretExpiry && <p className="form-warning">{processor.oauthSecretExpiry.text}</p>}
      <div>
        <button type="button" className="button primary" onClick={onConnect} disabled={connect.isPending}>
          {connect.isPending ? 'Opening the sign-in page…' : label}
        </button>
      </div>
    </section>
  );
}
