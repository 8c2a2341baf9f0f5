'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import type { ProcessorView } from '@/server/services/processors';
import { describeEncryption, type MailboxProtocol, sslAdvice, suggestedPorts } from '@/server/domain/processor-settings';
import { providerPreset } from '@/server/domain/oauth-sign-in';
import { CheckboxField, SelectField, TextField } from '../../components/field';
import { fieldErrorsOf, messageOf } from '../../form-errors';
import { useToast } from '../../toast';
import { useTRPC } from '../../trpc';

type TestOutcome = { ok: true; text: string; warning?: string } | { ok: false; text: string } | null;

function readForm(form: HTMLFormElement) {
  const data = new FormData(form);
  const text = (name: string) => String(data.get(name) ?? '');
  return {
    emailAddress: text('emailAddress').trim(),
    name: text('name'),
    active: data.get('active') === 'on',
    host: text('host').trim(),
    type: (text('type') === 'pop3' ? 'pop3' : 'imap') as MailboxProtocol,
    port: Number(text('port')),
    useSsl: data.get('useSsl') === 'on',
    login: text('login'),
    password: text('password'),
    authMethod: (text('authMethod') === 'oauth2' ? 'oauth2' : 'password') as 'password' | 'oauth2',
    oauthProviderId: text('oauthProviderId') || null,
    autoReply: data.get('autoReply') === 'on',
    allowUntrustedCert: data.get('allowUntrustedCert') === 'on',
    allowCleartextLogin: data.get('allowCleartextLogin') === 'on',
    markSeen: data.get('markSeen') === 'on',
    // Empty: no check beside push. A value that is not a whole number is left for the server to refuse.
    checkIntervalSeconds: text('checkIntervalSeconds').trim() === '' ? null : Number(text('checkIntervalSeconds')),
    // POP3 only (the fields are not shown for IMAP, so these read empty: null).
    pollIntervalSeconds: text('pollIntervalSeconds').trim() === '' ? null : Number(text('pollIntervalSeconds')),
    pop3DeleteAfterDays: text('pop3DeleteAfterDays').trim() === '' ? null : Number(text('pop3DeleteAfterDays')),
    authservId: text('authservId').trim(),
    dmarcFailNewContact: data.get('dmarcFailNewContact') === 'on',
    dmarcFailNoAutoReply: data.get('dmarcFailNoAutoReply') === 'on',
    dmarcFailFlag: data.get('dmarcFailFlag') === 'on',
  };
}

export function ProcessorForm({ processor }: { processor?: ProcessorView }) {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const queryClient = useQueryClient();
  const editing = Boolean(processor);
  // Use SSL changes only when the admin clicks it; the port only earns words beside it (sslAdvice).
  const [useSsl, setUseSsl] = useState(processor?.useSsl ?? true);
  const [port, setPort] = useState(String(processor?.port ?? 993));
  const [type, setType] = useState<MailboxProtocol>(processor?.type ?? 'imap');
  // A new processor's port follows the type until the admin types one; a port the admin chose is never changed.
  const [portTouched, setPortTouched] = useState(Boolean(processor));
  // Active follows the saved state: Deactivate/Activate on the page change it on the server, and a
  // later Save must send what is true now, not what the form was loaded with.
  const savedActive = processor?.active ?? true;
  const [active, setActive] = useState(savedActive);
  const [shownActive, setShownActive] = useState(savedActive);
  if (shownActive !== savedActive) {
    setShownActive(savedActive);
    setActive(savedActive);
  }
  const [test, setTest] = useState<TestOutcome>(null);
  // Password, or OAuth2 with a provider from CRM Admin → OAuth providers (Connect follows on the processor's page).
  const [authMethod, setAuthMethod] = useState<'password' | 'oauth2'>(processor?.authMethod ?? 'password');
  const providers = useQuery(trpc.oauth.providers.queryOptions());

  const create = useMutation(trpc.processors.create.mutationOptions());
  const update = useMutation(trpc.processors.update.mutationOptions());
  const testConnection = useMutation(trpc.processors.testConnection.mutationOptions());
  const saveError = editing ? update.error : create.error;
  const errors = { ...fieldErrorsOf(testConnection.error), ...fieldErrorsOf(saveError) };

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const values = readForm(event.currentTarget);
    try {
      if (processor) {
        const { password, ...rest } = values;
        await update.mutateAsync({ ...rest, id: processor.id, ...(password ? { password } : {}) });
        toast.success('Email processor saved.');
      } else {
        const created = await create.mutateAsync(values);
        toast.success('Email processor created. Add a filter to start processing.');
        router.push(`/admin/processors/${created.id}#filters`);
      }
      await queryClient.invalidateQueries({ queryKey: trpc.processors.pathKey() });
    } catch (err) {
      if (Object.keys(fieldErrorsOf(err)).length === 0) toast.error(messageOf(err));
      else toast.error('Some fields need attention.');
    }
  }

  async function onTest(form: HTMLFormElement | null) {
    if (!form) return;
    const v = readForm(form);
    setTest(null);
    try {
      const result = await testConnection.mutateAsync({
        id: processor?.id,
        type: v.type,
        host: v.host,
        port: v.port,
        useSsl: v.useSsl,
        login: v.login,
        password: v.password || undefined,
        allowUntrustedCert: v.allowUntrustedCert,
        allowCleartextLogin: v.allowCleartextLogin,
      });
      const encryption = describeEncryption(result.encryption, v.type);
      const text = `Connected and signed in. INBOX holds ${result.messageCount} message${result.messageCount === 1 ? '' : 's'}.`;
      setTest(encryption.warning ? { ok: true, text, warning: encryption.text } : { ok: true, text: `${text} ${encryption.text}` });
    } catch (err) {
      setTest({ ok: false, text: messageOf(err) });
    }
  }

  return (
    <form className="card form" onSubmit={onSubmit} noValidate aria-label="Email processor">
      <div className="grid-form form">
        <TextField label="Email address" name="emailAddress" type="email" defaultValue={processor?.emailAddress} error={errors.emailAddress} required />
        <TextField label="Name" name="name" defaultValue={processor?.name} error={errors.name} hint='For example "Support" or "Sales".' required />
        <TextField label="Server / IP address" name="host" defaultValue={processor?.host} error={errors.host} hint="For example mail.example.com" required />
        <SelectField
          label="Type"
          name="type"
          value={type}
          error={errors.type}
          hint={type === 'pop3' ? 'POP3 has no push: Leopard polls the mailbox (every 60 s unless set below).' : 'IMAP: new mail is pushed (IDLE).'}
          onChange={(e) => {
            const next: MailboxProtocol = e.target.value === 'pop3' ? 'pop3' : 'imap';
            setType(next);
            if (!portTouched) setPort(next === 'pop3' ? '995' : '993');
          }}
        >
          <option value="imap">IMAP</option>
          <option value="pop3">POP3</option>
        </SelectField>
        <TextField
          label="Port"
          name="port"
          type="number"
          inputMode="numeric"
          min={1}
          max={65535}
          list={`${type}-ports`}
          value={port}
          error={errors.port}
          hint={type === 'pop3' ? 'Usually 110 (POP3, upgraded with STLS) or 995 (POP3S).' : 'Usually 143 (IMAP), 585 (IMAP-SSL) or 993 (IMAPS).'}
          onChange={(e) => {
            setPort(e.target.value);
            setPortTouched(true);
          }}
          required
        />
        <datalist id={`${type}-ports`}>
          {suggestedPorts(type).map((p) => (
            <option key={p.port} value={p.port}>
              {p.label}
            </option>
          ))}
        </datalist>
        <SelectField
          label="Sign-in method"
          name="authMethod"
          value={authMethod}
          onChange={(e) => setAuthMethod(e.target.value === 'oauth2' ? 'oauth2' : 'password')}
          hint="Microsoft 365 and Google Workspace mailboxes need OAuth2: they no longer take passwords."
        >
          <option value="password">Password</option>
          <option value="oauth2">OAuth2 (Microsoft 365, Google, other providers)</option>
        </SelectField>
        {authMethod === 'oauth2' && (
          <SelectField
            label="OAuth provider"
            name="oauthProviderId"
            defaultValue={processor?.oauthProviderId ?? ''}
            error={errors.oauthProviderId}
            onChange={(e) => {
              // The presets are filled-in custom providers: choosing Microsoft 365 or Google fills in its IMAP server
              // when none is typed yet; the admin can still change it.
              const kind = providers.data?.find((p) => p.id === e.target.value)?.kind;
              const host = e.currentTarget.form?.elements.namedItem('host');
              if ((kind === 'microsoft' || kind === 'google') && host instanceof HTMLInputElement && host.value.trim() === '') {
                const imap = (kind === 'google' ? providerPreset('google') : providerPreset('microsoft', '')).imap;
                host.value = imap.host;
                setPort(String(imap.port));
                setUseSsl(imap.useSsl);
              }
            }}
            hint={
              <>
                Microsoft 365: outlook.office365.com, port 993, SSL. Google: imap.gmail.com, port 993, SSL. Providers are set up under{' '}
                <a href="/admin/oauth-providers">CRM Admin → OAuth providers</a>; after saving, press Connect on this page.
              </>
            }
          >
            <option value="">Choose a provider…</option>
            {(providers.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </SelectField>
        )}
        <TextField
          label={authMethod === 'oauth2' ? 'Mailbox' : 'Login'}
          name="login"
          defaultValue={processor?.login}
          error={errors.login}
          autoComplete="off"
          hint={authMethod === 'oauth2' ? 'Leave empty for the mailbox of the account that signs in; for a shared mailbox enter its address.' : undefined}
          required={authMethod === 'password'}
        />
        {authMethod === 'password' && (
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          error={errors.password}
          placeholder={editing ? 'Leave empty to keep the saved password' : undefined}
          hint={editing ? 'The saved password is never shown. It is kept only while the server, port, login and security settings stay the same; change any of them and type it again.' : undefined}
          required={!editing}
        />
        )}
      </div>
      <div className="grid-form form">
        <CheckboxField
          label="Use SSL"
          name="useSsl"
          checked={useSsl}
          onChange={(e) => setUseSsl(e.target.checked)}
          hint={<span data-testid="ssl-advice">{sslAdvice(Number(port), useSsl, type) ?? (type === 'pop3' ? 'Recommended for port 995.' : 'Recommended for ports 585 and 993.')}</span>}
        />
        <CheckboxField
          label="Active"
          name="active"
          checked={active}
          onChange={(e) => setActive(e.target.checked)}
          hint="Untick to pause processing of new mail."
        />
        <CheckboxField
          label="Auto reply to sender"
          name="autoReply"
          defaultChecked={processor?.autoReply ?? true}
          hint="Tells the sender their case number. Never sent for mail already in the mailbox when it is first connected."
        />
        <CheckboxField
          label="Accept an untrusted certificate"
          name="allowUntrustedCert"
          defaultChecked={processor?.allowUntrustedCert ?? false}
          hint="Only for a server you run yourself with a self-signed certificate."
        />
        <CheckboxField
          label="Allow a connection without encryption"
          name="allowCleartextLogin"
          defaultChecked={processor?.allowCleartextLogin ?? false}
          hint="Off: without SSL, Leopard sends the password only after STARTTLS. Tick only for a server on a network you trust that offers neither: the password then crosses the network readable."
        />
        {type === 'pop3' ? (
          <>
            {/* POP3 has no read state; the IMAP setting is kept as it was for a switch back. */}
            {(processor?.markSeen ?? true) && <input type="hidden" name="markSeen" value="on" />}
            <TextField
              label="Poll every (seconds)"
              name="pollIntervalSeconds"
              type="number"
              inputMode="numeric"
              min={1}
              max={86400}
              defaultValue={processor?.pollIntervalSeconds ?? ''}
              error={errors.pollIntervalSeconds}
              hint="Leave empty for the worker's POP3_POLL_INTERVAL_MS (60 s by default)."
            />
            <TextField
              label="Delete from the server after (days)"
              name="pop3DeleteAfterDays"
              type="number"
              inputMode="numeric"
              min={0}
              max={3650}
              defaultValue={processor?.pop3DeleteAfterDays ?? ''}
              error={errors.pop3DeleteAfterDays}
              hint="Leave empty to keep every message on the server. A message is deleted only once Leopard has stored it, this many days after."
            />
          </>
        ) : (
        <>
        <CheckboxField
          label="Mark as read on the server"
          name="markSeen"
          defaultChecked={processor?.markSeen ?? true}
          hint="After a message is stored, imported mail included. Untick to leave the mailbox's read state as it is."
        />
        <TextField
          label="Check for new mail every (seconds)"
          name="checkIntervalSeconds"
          type="number"
          inputMode="numeric"
          min={1}
          max={3600}
          defaultValue={processor?.checkIntervalSeconds ?? ''}
          error={errors.checkIntervalSeconds}
          hint="Leave empty when the server pushes new mail at once (Dovecot). Stock Cyrus and Courier announce it only about once a minute: 5 makes mail arrive within seconds."
        />
        </>
        )}
        <TextField
          label="Mail server's authentication service (authserv-id)"
          name="authservId"
          defaultValue={processor?.authservId ?? ''}
          error={errors.authservId}
          hint="The name your mail server writes first in Authentication-Results (mx.google.com for Gmail, the server's host name for Postfix with OpenDMARC; (none) for Microsoft 365). Leave empty to ignore those headers: any sender can write them."
        />
        <CheckboxField
          label="DMARC failure: new flagged contact"
          name="dmarcFailNewContact"
          defaultChecked={processor?.dmarcFailNewContact ?? true}
          hint="A message that fails DMARC is not matched to an existing contact by its address alone."
        />
        <CheckboxField
          label="DMARC failure: no auto-reply"
          name="dmarcFailNoAutoReply"
          defaultChecked={processor?.dmarcFailNoAutoReply ?? true}
          hint="Its From may be forged: a reply would reach someone who never wrote."
        />
        <CheckboxField
          label="DMARC failure: flag on the case list"
          name="dmarcFailFlag"
          defaultChecked={processor?.dmarcFailFlag ?? true}
          hint="The case shows “Sender not verified”."
        />
      </div>
      {test && (
        <div role="status" data-testid="test-connection-result" className="stack-tight">
          <p className={test.ok ? 'form-ok' : 'form-error'}>{test.text}</p>
          {test.ok && test.warning && (
            <p className="form-warning" data-testid="test-connection-warning">
              {test.warning}
            </p>
          )}
        </div>
      )}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={create.isPending || update.isPending}>
          Save
        </button>
        <button
          type="button"
          className="button"
          disabled={testConnection.isPending}
          onClick={(e) => onTest(e.currentTarget.form)}
        >
          {testConnection.isPending ? 'Testing…' : 'Test connection'}
        </button>
      </div>
    </form>
  );
}
