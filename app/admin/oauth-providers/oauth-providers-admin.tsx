'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { GOOGLE_SCOPES, MICROSOFT_SCOPES, type OAuthProviderKind } from '@/server/domain/oauth-sign-in';
import type { OAuthProviderView } from '@/server/services/oauth-providers';
import { SelectField, TextField } from '../../components/field';
import { fieldErrorsOf, messageOf } from '../../form-errors';
import { useToast } from '../../toast';
import { useTRPC } from '../../trpc';

const DEFAULT_SCOPES: Record<OAuthProviderKind, string> = { microsoft: MICROSOFT_SCOPES, google: GOOGLE_SCOPES, custom: 'openid email offline_access' };
const KIND_LABEL: Record<OAuthProviderKind, string> = { microsoft: 'Microsoft 365', google: 'Google', custom: 'Custom (OpenID discovery)' };

function ProviderForm({ provider, onDone }: { provider?: OAuthProviderView; onDone: () => void }) {
  const trpc = useTRPC();
  const toast = useToast();
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<OAuthProviderKind>(provider?.kind ?? 'microsoft');
  const [scopes, setScopes] = useState(provider?.scopes ?? DEFAULT_SCOPES.microsoft);
  const save = useMutation(trpc.oauth.saveProvider.mutationOptions());
  const errors = fieldErrorsOf(save.error);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const text = (name: string) => String(data.get(name) ?? '').trim();
    try {
      await save.mutateAsync({
        ...(provider ? { id: provider.id } : {}),
        name: text('name'),
        kind,
        issuerUrl: kind === 'google' ? 'https://accounts.google.com' : text('issuerUrl'),
        tenantId: kind === 'microsoft' ? text('tenantId') : null,
        clientId: text('clientId'),
        clientSecret: String(data.get('clientSecret') ?? '') || undefined,
        secretExpiresOn: text('secretExpiresOn') || null,
        scopes,
      });
      await queryClient.invalidateQueries({ queryKey: trpc.oauth.pathKey() });
      toast.success('OAuth provider saved.');
      onDone();
    } catch (err) {
      if (Object.keys(fieldErrorsOf(err)).length === 0) toast.error(messageOf(err));
    }
  }

  return (
    <form className="card form" onSubmit={onSubmit} noValidate aria-label="OAuth provider">
      <div className="grid-form form">
        <SelectField
          label="Provider"
          name="kind"
          value={kind}
          onChange={(e) => {
            const next = e.target.value as OAuthProviderKind;
            setKind(next);
            setScopes(DEFAULT_SCOPES[next]);
          }}
        >
          {(Object.keys(KIND_LABEL) as OAuthProviderKind[]).map((k) => (
            <option key={k} value={k}>
              {KIND_LABEL[k]}
            </option>
          ))}
        </SelectField>
        <TextField label="Name" name="name" defaultValue={provider?.name ?? ''} error={errors.name} hint='Shown on the processors, e.g. "Contoso Microsoft 365".' required />
        {kind === 'microsoft' && (
          <TextField
            label="Directory (tenant) id"
            name="tenantId"
            defaultValue={provider?.tenantId ?? ''}
            error={errors.tenantId}
            hint="From the app registration's Overview in Microsoft Entra, or the tenant's domain (contoso.onmicrosoft.com)."
            required
          />
        )}
        {kind === 'custom' && (
          <TextField label="Issuer URL" name="issuerUrl" defaultValue={provider?.issuerUrl ?? ''} error={errors.issuerUrl} hint="Leopard reads /.well-known/openid-configuration from it." required />
        )}
        <TextField label="Client (application) id" name="clientId" defaultValue={provider?.clientId ?? ''} error={errors.clientId} autoComplete="off" required />
        <TextField
          label="Client secret"
          name="clientSecret"
          type="password"
          autoComplete="new-password"
          error={errors.clientSecret}
          placeholder={provider?.hasClientSecret ? 'Leave empty to keep the saved secret' : undefined}
          hint="Stored encrypted; never shown again."
        />
        <TextField
          label="Secret expires on"
          name="secretExpiresOn"
          type="date"
          defaultValue={provider?.secretExpiresOn ?? ''}
          error={errors.secretExpiresOn}
          hint="The processor list warns 14 days ahead (Microsoft secrets last 24 months at most)."
        />
        <TextField label="Scopes" name="scopes" value={scopes} onChange={(e) => setScopes(e.target.value)} error={errors.scopes} hint="Space-separated." required />
      </div>
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={save.isPending}>
          Save provider
        </button>
        <button type="button" className="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function OAuthProvidersAdmin() {
  const trpc = useTRPC();
  const toast = useToast();
  const queryClient = useQueryClient();
  const providers = useQuery(trpc.oauth.providers.queryOptions());
  const remove = useMutation(trpc.oauth.deleteProvider.mutationOptions());
  const [editing, setEditing] = useState<OAuthProviderView | 'new' | null>(null);
  const redirectUri = typeof window === 'undefined' ? '' : `${window.location.origin}/api/oauth/callback`;

  if (providers.isError) return <p className="form-error">{providers.error.message}</p>;
  if (providers.isPending) return <p className="muted">Loading…</p>;

  async function onDelete(p: OAuthProviderView) {
    if (!window.confirm(`Delete the provider ${p.name}?`)) return;
    try {
      await remove.mutateAsync({ id: p.id });
      await queryClient.invalidateQueries({ queryKey: trpc.oauth.pathKey() });
      toast.success('OAuth provider deleted.');
    } catch (err) {
      toast.error(messageOf(err));
    }
  }

  return (
    <div className="stack">
      <p className="muted">
        Redirect URI to register: <code data-testid="oauth-redirect-uri">{redirectUri}</code>
      </p>
      <section className="card">
        {providers.data.length === 0 ? (
          <p className="muted">No providers yet.</p>
        ) : (
          <table className="table" data-testid="oauth-provider-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Provider</th>
                <th>Client id</th>
                <th>Secret</th>
                <th>Processors</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {providers.data.map((p) => (
                <tr key={p.id}>
                  <td>{p.name}</td>
                  <td>{KIND_LABEL[p.kind]}</td>
                  <td className="mono">{p.clientId}</td>
                  <td>
                    {p.hasClientSecret ? 'stored' : 'none'}
                    {p.secretExpiresOn && ` · expires ${p.secretExpiresOn}`}
                    {p.secretExpiry && (
                      <small className="form-warning" data-testid="secret-expiry">
                        {' '}
                        {p.secretExpiry.text}
                      </small>
                    )}
                  </td>
                  <td>{p.processorCount}</td>
                  <td className="row-actions">
                    {p.fromEnvironment ? (
                      <span className="muted">set by environment variables</span>
                    ) : (
                      <>
                        <button type="button" className="button" onClick={() => setEditing(p)}>
                          Edit
                        </button>
                        <button type="button" className="button danger" onClick={() => onDelete(p)} disabled={remove.isPending}>
                          Delete
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {editing ? (
        <ProviderForm key={editing === 'new' ? 'new' : editing.id} provider={editing === 'new' ? undefined : editing} onDone={() => setEditing(null)} />
      ) : (
        <div>
          <button type="button" className="button primary" onClick={() => setEditing('new')}>
            Add a provider
          </button>
        </div>
      )}
    </div>
  );
}
