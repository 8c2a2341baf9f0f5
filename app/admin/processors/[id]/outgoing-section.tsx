'use client';
// The processor's outgoing mail: system transport or the mailbox's own SMTP server, the reply signature,
// "Copy to Sent", and "Send a test mail" with the server's own words (server/services/outgoing-servers.ts).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { SUGGESTED_SMTP_PORTS } from '@/server/domain/outgoing-server';
import { CheckboxField, SelectField, TextField } from '../../../components/field';
import { fieldErrorsOf, messageOf } from '../../../form-errors';
import { useToast } from '../../../toast';
import { useTRPC } from '../../../trpc';

type TestOutcome = { ok: boolean; text: string } | null;

function readForm(form: HTMLFormElement, processorId: string) {
  const data = new FormData(form);
  const text = (name: string) => String(data.get(name) ?? '');
  return {
    processorId,
    mode: text('mode') === 'smtp' ? ('smtp' as const) : ('system' as const),
    smtpHost: text('smtpHost').trim(),
    smtpPort: Number(text('smtpPort') || 587),
    smtpSecurity: text('smtpSecurity') === 'tls' ? ('tls' as const) : ('starttls' as const),
    smtpAllowUntrustedCert: data.get('smtpAllowUntrustedCert') === 'on',
    smtpLogin: text('smtpLogin').trim(),
    smtpPassword: text('smtpPassword'),
    useMailboxPassword: data.get('useMailboxPassword') === 'on',
    signature: text('signature'),
    copyToSent: data.get('copyToSent') === 'on',
  };
}

export function OutgoingSection({ processorId }: { processorId: string }) {
  const trpc = useTRPC();
  const toast = useToast();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.outgoingServers.get.queryOptions({ processorId }));
  const update = useMutation(trpc.outgoingServers.update.mutationOptions());
  const sendTest = useMutation(trpc.outgoingServers.test.mutationOptions());
  const [mode, setMode] = useState<'system' | 'smtp' | null>(null);
  const [test, setTest] = useState<TestOutcome>(null);
  const [testTo, setTestTo] = useState('');

  if (settings.isPending) return <p className="muted">Loading outgoing mail settings…</p>;
  if (settings.isError) return <p className="form-error">{settings.error.message}</p>;
  const s = settings.data;
  const shownMode = mode ?? s.mode;
  const errors = { ...fieldErrorsOf(sendTest.error), ...fieldErrorsOf(update.error) };

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    try {
      await update.mutateAsync(readForm(event.currentTarget, processorId));
      await queryClient.invalidateQueries({ queryKey: trpc.outgoingServers.pathKey() });
      toast.success('Outgoing mail settings saved.');
    } catch (err) {
      toast.error(Object.keys(fieldErrorsOf(err)).length > 0 ? 'Some fields need attention.' : messageOf(err));
    }
  }

  async function onTest(form: HTMLFormElement | null) {
    if (!form) return;
    setTest(null);
    try {
      const result = await sendTest.mutateAsync({ settings: readForm(form, processorId), to: testTo.trim() });
      setTest(result.ok ? { ok: true, text: `Sent. The server answered: ${result.response}` } : { ok: false, text: result.error });
    } catch (err) {
      setTest({ ok: false, text: messageOf(err) });
    }
  }

  return (
    <section className="card" id="outgoing" aria-label="Outgoing mail">
      <h2>Outgoing mail</h2>
      <p className="muted small">
        Replies and auto-replies go out from {s.mailbox.name} &lt;{s.mailbox.emailAddress}&gt;.
      </p>
      <form className="form" onSubmit={onSubmit} noValidate aria-label="Outgoing mail settings">
        <SelectField label="Send through" name="mode" value={shownMode} onChange={(e) => setMode(e.target.value === 'smtp' ? 'smtp' : 'system')} error={errors.mode}>
          <option value="system">The system transport (Resend or SMTP_URL on the worker)</option>
          <option value="smtp">This mailbox&apos;s SMTP server</option>
        </SelectField>
        {shownMode === 'smtp' && (
          <div className="grid-form form">
            <TextField label="SMTP server" name="smtpHost" defaultValue={s.smtpHost || s.mailbox.host} error={errors.smtpHost} hint="For example smtp.example.com" required />
            <TextField label="SMTP port" name="smtpPort" type="number" min={1} max={65535} list="smtp-ports" defaultValue={String(s.smtpPort)} error={errors.smtpPort} hint="Usually 587 (STARTTLS) or 465 (TLS)." />
            <datalist id="smtp-ports">
              {SUGGESTED_SMTP_PORTS.map((p) => (
                <option key={p.port} value={p.port} label={p.label} />
              ))}
            </datalist>
            <SelectField label="Encryption" name="smtpSecurity" defaultValue={s.smtpSecurity} error={errors.smtpSecurity}>
              <option value="starttls">STARTTLS (required before the login)</option>
              <option value="tls">SSL/TLS from the first byte</option>
            </SelectField>
            <TextField label="SMTP login" name="smtpLogin" defaultValue={s.smtpLogin} error={errors.smtpLogin} hint={`Empty: the mailbox login (${s.mailbox.login}).`} />
            <TextField
              label="SMTP password"
              name="smtpPassword"
              type="password"
              autoComplete="new-password"
              error={errors.smtpPassword}
              hint={s.hasSmtpPassword ? 'Stored. Leave empty to keep it (only while the settings above stay as they are).' : 'Leave empty to use the mailbox password.'}
            />
            <CheckboxField
              label="Use the mailbox password when no SMTP password is typed"
              name="useMailboxPassword"
              defaultChecked={!s.hasSmtpPassword}
              hint={`Only allowed while the SMTP server is the mailbox's own server (${s.mailbox.host}).`}
            />
            <CheckboxField label="Accept an unverified certificate" name="smtpAllowUntrustedCert" defaultChecked={s.smtpAllowUntrustedCert} />
          </div>
        )}
        <div className="field">
          <label htmlFor="f-signature">Signature of replies</label>
          <textarea id="f-signature" name="signature" rows={4} defaultValue={s.signature} aria-describedby="f-signature-hint" />
          <small id="f-signature-hint" className="field-hint">
            {'{agent}'} is replaced by the agent&apos;s name, {'{case}'} by the case number (LC0001234), {'{mailbox}'} by the processor&apos;s name.
          </small>
          {errors.signature && <small className="field-error">{errors.signature}</small>}
        </div>
        <CheckboxField label="Copy sent replies to the mailbox's Sent folder" name="copyToSent" defaultChecked={s.copyToSent} hint='The folder marked \Sent, else one named "Sent".' />
        <div className="row-actions">
          <button type="submit" className="button primary" disabled={update.isPending}>
            Save outgoing mail
          </button>
        </div>
        {shownMode === 'smtp' && (
          <div className="row-actions">
            <TextField label="Send a test mail to" name="testTo" type="email" value={testTo} onChange={(e) => setTestTo(e.target.value)} error={errors.to} />
            <button type="button" className="button" disabled={sendTest.isPending || testTo.trim() === ''} onClick={(e) => onTest(e.currentTarget.form)}>
              {sendTest.isPending ? 'Sending…' : 'Send a test mail'}
            </button>
          </div>
        )}
        {test && (
          <p className={test.ok ? 'form-ok' : 'form-error'} role="status" data-testid="smtp-test-result">
            {test.text}
          </p>
        )}
      </form>
    </section>
  );
}
