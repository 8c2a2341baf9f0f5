import { OAuthProvidersAdmin } from './oauth-providers-admin';

export default function OAuthProvidersPage() {
  return (
    <>
      <div className="page-header">
        <h1>OAuth providers</h1>
        <p className="muted">
          The app registrations mailboxes sign in with (Microsoft 365, Google, or any OpenID provider). The client secret is stored
          encrypted and never shown again. The redirect URI to register at the provider is shown below.
        </p>
      </div>
      <OAuthProvidersAdmin />
    </>
  );
}
