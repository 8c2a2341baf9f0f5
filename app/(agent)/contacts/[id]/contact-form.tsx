'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { ContactDetail } from '@/server/services/contacts';
import { TextField } from '../../../components/field';
import { fieldErrorsOf, messageOf } from '../../../form-errors';
import { useToast } from '../../../toast';
import { useTRPC } from '../../../trpc';

export function ContactForm({ contact }: { contact: ContactDetail }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [values, setValues] = useState({ firstName: contact.firstName, lastName: contact.lastName, email: contact.email });
  const update = useMutation(
    trpc.contacts.update.mutationOptions({
      onSuccess: (saved) => {
        toast.success('Contact saved.');
        queryClient.setQueryData(trpc.contacts.get.queryKey({ id: contact.id }), saved);
        void queryClient.invalidateQueries({ queryKey: trpc.contacts.list.pathKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.cases.pathKey() });
      },
    }),
  );
  const errors = fieldErrorsOf(update.error);
  const set = (key: keyof typeof values) => (e: { target: { value: string } }) => setValues({ ...values, [key]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    update.mutate({ id: contact.id, ...values });
  };

  return (
    <form className="card form grid-form" aria-label="Edit contact" onSubmit={submit} noValidate>
      <TextField label="First name" name="firstName" value={values.firstName} onChange={set('firstName')} error={errors.firstName} autoComplete="off" />
      <TextField label="Last name" name="lastName" value={values.lastName} onChange={set('lastName')} error={errors.lastName} autoComplete="off" />
      <TextField label="Email" name="email" type="email" value={values.email} onChange={set('email')} error={errors.email} autoComplete="off" />
      {update.isError && !Object.keys(errors).length && <p className="form-error">{messageOf(update.error)}</p>}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={update.isPending}>
          {update.isPending ? 'Saving…' : 'Save contact'}
        </button>
      </div>
    </form>
  );
}
