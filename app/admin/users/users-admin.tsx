'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { SelectField, TextField } from '../../components/field';
import { fieldErrorsOf, messageOf } from '../../form-errors';
import { useToast } from '../../toast';
import { useTRPC } from '../../trpc';

export function UsersAdmin() {
  const trpc = useTRPC();
  const toast = useToast();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  const create = useMutation(trpc.users.create.mutationOptions({ onSuccess: invalidate }));
  const update = useMutation(trpc.users.update.mutationOptions({ onSuccess: invalidate }));
  const errors = fieldErrorsOf(create.error);

  async function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    try {
      const user = await create.mutateAsync({
        email: String(form.get('email') ?? ''),
        name: String(form.get('name') ?? ''),
        role: form.get('role') === 'admin' ? 'admin' : 'agent',
        password: String(form.get('password') ?? ''),
      });
      formElement.reset();
      toast.success(`${user.name} can now sign in.`);
    } catch (err) {
      if (Object.keys(fieldErrorsOf(err)).length === 0) toast.error(messageOf(err));
    }
  }

  async function change(id: string, patch: { role?: 'admin' | 'agent'; active?: boolean; password?: string }, done: string) {
    try {
      await update.mutateAsync({ id, ...patch });
      toast.success(done);
    } catch (err) {
      toast.error(messageOf(err));
    }
  }

  return (
    <div className="stack">
      <section className="card">
        <h2>Add a user</h2>
        <form className="form grid-form" onSubmit={onCreate} noValidate aria-label="Add a user">
          <TextField label="Name" name="name" error={errors.name} />
          <TextField label="Email" name="email" type="email" error={errors.email} />
          <SelectField label="Role" name="role" defaultValue="agent">
            <option value="agent">Agent</option>
            <option value="admin">Admin</option>
          </SelectField>
          <TextField label="Password" name="password" type="password" error={errors.password} autoComplete="new-password" />
          <div className="form-actions">
            <button className="button primary" type="submit" disabled={create.isPending}>
              Add user
            </button>
          </div>
        </form>
      </section>
      <section className="card">
        {users.isError && <p className="form-error">{users.error.message}</p>}
        <table className="table" data-testid="users-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Email</th>
              <th>Role</th>
              <th>Status</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {users.data?.map((u) => (
              <tr key={u.id} className={u.active ? undefined : 'inactive'}>
                <td>{u.name}</td>
                <td>{u.email}</td>
                <td>
                  <span className="badge">{u.role}</span>
                </td>
                <td>{u.active ? 'Active' : 'Deactivated'}</td>
                <td className="row-actions">
                  <button
                    type="button"
                    className="button small"
                    onClick={() =>
                      change(u.id, { role: u.role === 'admin' ? 'agent' : 'admin' }, `${u.name} is now ${u.role === 'admin' ? 'an agent' : 'an admin'}.`)
                    }
                  >
                    Make {u.role === 'admin' ? 'agent' : 'admin'}
                  </button>
                  <button
                    type="button"
                    className="button small"
                    onClick={() => {
                      if (u.active && !window.confirm(`Deactivate ${u.name}? They will be signed out at once.`)) return;
                      change(u.id, { active: !u.active }, `${u.name} ${u.active ? 'deactivated' : 'reactivated'}.`);
                    }}
                  >
                    {u.active ? 'Deactivate' : 'Reactivate'}
                  </button>
                  <button
                    type="button"
                    className="button small"
                    onClick={() => {
                      const password = window.prompt(`New password for ${u.name} (at least 10 characters)`);
                      if (password) change(u.id, { password }, `Password of ${u.name} reset.`);
                    }}
                  >
                    Reset password
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
