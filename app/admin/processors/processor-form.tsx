'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import type { ProcessorView } from '@/server/services/processors';
import { SUGGESTED_PORTS, suggestsSsl } from '@/server/domain/processor-settings';
import { CheckboxField, SelectField, TextField } from '../../components/field';
import { fieldErrorsOf, messageOf } from '../../form-errors';
import { useToast } from '../../toast';
import { useTRPC } from '../../trpc';

type TestOutcome = { ok: true; text: string } | { ok: false; text: string } | null;

function readForm(form: HTMLFormElement) {
  const data = new FormData(form);
  const text = (name: string) => String(data.get(name) ?? '');
  return {
    emailAddress: text('emailAddress').trim(),
    name: text('name'),
    active: data.get('active') === 'on',
    host: text('host').trim(),
    type: 'imap' as const,
    port: Number(text('port')),
    useSsl: data.get('useSsl') === 'on',
    login: text('login'),
    password: text('password'),
    autoReply: data.get('autoReply') === 'on',
    allowUntrustedCert: data.get('allowUntrustedCert') === 'on',
  };
}

export function ProcessorForm({ processor }: { processor?: ProcessorView }) {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const queryClient = useQueryClient();
  const editing = Boolean(processor);
  const [useSsl, setUseSsl] = useState(processor?.useSsl ?? true);
  const [sslTouched, setSslTouched] = useState(editing);
  const [test, setTest] = useState<TestOutcome>(null);

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
        host: v.host,
        port: v.port,
        useSsl: v.useSsl,
        login: v.login,
        password: v.password || undefined,
        allowUntrustedCert: v.allowUntrustedCert,
      });
      setTest({ ok: true, text: `Connected and signed in. INBOX holds ${result.messageCount} message${result.messageCount === 1 ? '' : 's'}.` });
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
        <SelectField label="Type" name="type" defaultValue="imap" error={errors.type} hint="POP3 is not supported yet.">
          <option value="imap">IMAP</option>
        </SelectField>
        <TextField
          label="Port"
          name="port"
          type="number"
          inputMode="numeric"
          min={1}
          max={65535}
          list="imap-ports"
          defaultValue={processor?.port ?? 993}
          error={errors.port}
          hint="Usually 143 (IMAP), 585 (IMAP-SSL) or 993 (IMAPS)."
          onChange={(e) => {
            if (!sslTouched) setUseSsl(suggestsSsl(Number(e.target.value)));
          }}
          required
        />
        <datalist id="imap-ports">
          {SUGGESTED_PORTS.map((p) => (
            <option key={p.port} value={p.port}>
              {p.label}
            </option>
          ))}
        </datalist>
        <TextField label="Login" name="login" defaultValue={processor?.login} error={errors.login} autoComplete="off" required />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          error={errors.password}
          placeholder={editing ? 'Leave empty to keep the saved password' : undefined}
          hint={editing ? 'The saved password is never shown.' : undefined}
          required={!editing}
        />
      </div>
      <div className="grid-form form">
        <CheckboxField
          label="Use SSL"
          name="useSsl"
          checked={useSsl}
          onChange={(e) => {
            setSslTouched(true);
            setUseSsl(e.target.checked);
          }}
          hint="Recommended for ports 585 and 993."
        />
        <CheckboxField label="Active" name="active" defaultChecked={processor?.active ?? true} hint="Untick to pause processing of new mail." />
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
      </div>
      {test && (
        <p className={test.ok ? 'form-ok' : 'form-error'} role="status" data-testid="test-connection-result">
          {test.text}
        </p>
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
