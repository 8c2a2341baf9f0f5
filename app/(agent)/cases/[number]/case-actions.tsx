'use client';
// The agent's controls for one case: a form for status, people, type and priority (saved together,
// so choosing with the keyboard does not save every option passed on the way), and spam.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { CaseOptions } from '@/server/services/case-options';
import type { CaseHeader, CaseStatus } from '@/server/services/cases';
import { SelectField } from '../../../components/field';
import { fieldErrorsOf, messageOf } from '../../../form-errors';
import { useToast } from '../../../toast';
import { useTRPC } from '../../../trpc';
import { STATUS_LABEL, STATUSES } from '../../components/case-status';
import { MergeAction } from './case-work';
import { SpamAction } from './spam-action';

type Values = { status: CaseStatus; assignedToId: string; managedById: string; caseTypeId: string; casePriorityId: string };

function valuesOf(c: CaseHeader): Values {
  return {
    status: c.status,
    assignedToId: c.assignee?.id ?? '',
    managedById: c.manager?.id ?? '',
    caseTypeId: c.caseType?.id ?? '',
    casePriorityId: c.priority?.id ?? '',
  };
}

/** Active users, plus the one currently chosen even if deactivated since. */
function userOptions(options: CaseOptions | undefined, current: string) {
  return (options?.users ?? [])
    .filter((u) => u.active || u.id === current)
    .map((u) => (
      <option key={u.id} value={u.id}>
        {u.active ? u.name : `${u.name} (inactive)`}
      </option>
    ));
}

export function CaseActions({ detail }: { detail: CaseHeader }) {
  const saved = valuesOf(detail);
  // A colleague's change to these fields resets the form; other updates (new mail) leave edits alone.
  return (
    <aside className="case-actions" aria-label="Actions">
      <CaseFieldsForm key={Object.values(saved).join('|')} caseId={detail.id} saved={saved} />
      <SpamAction caseId={detail.id} isSpam={detail.isSpam} />
      {!detail.mergedInto && <MergeAction detail={detail} />}
    </aside>
  );
}

function CaseFieldsForm({ caseId, saved }: { caseId: string; saved: Values }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const options = useQuery(trpc.cases.options.queryOptions());
  const [values, setValues] = useState(saved);
  const update = useMutation(
    trpc.cases.update.mutationOptions({
      onSuccess: (result) => {
        toast.success(result.changed.length ? `${result.caseNumber} saved.` : 'Nothing changed.');
        void queryClient.invalidateQueries({ queryKey: trpc.cases.get.pathKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.cases.list.pathKey() });
      },
    }),
  );
  const errors = fieldErrorsOf(update.error);
  const dirty = (Object.keys(values) as Array<keyof Values>).some((k) => values[k] !== saved[k]);
  const set = (key: keyof Values) => (e: { target: { value: string } }) => setValues({ ...values, [key]: e.target.value });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const orNull = (v: string) => v || null;
    update.mutate({
      caseId,
      status: values.status,
      assignedToId: orNull(values.assignedToId),
      managedById: orNull(values.managedById),
      caseTypeId: orNull(values.caseTypeId),
      casePriorityId: orNull(values.casePriorityId),
    });
  };

  return (
    <form className="card form" aria-label="Case fields" onSubmit={submit}>
      <h2>Case</h2>
      <SelectField label="Status" name="status" value={values.status} onChange={set('status')} error={errors.status}>
        {STATUSES.map((s) => (
          <option key={s} value={s}>
            {STATUS_LABEL[s]}
          </option>
        ))}
      </SelectField>
      <SelectField label="Assignee" name="assignedToId" value={values.assignedToId} onChange={set('assignedToId')} error={errors.assignedToId}>
        <option value="">Unassigned</option>
        {userOptions(options.data, saved.assignedToId)}
      </SelectField>
      <SelectField label="Manager" name="managedById" value={values.managedById} onChange={set('managedById')} error={errors.managedById}>
        <option value="">None</option>
        {userOptions(options.data, saved.managedById)}
      </SelectField>
      <SelectField label="Type" name="caseTypeId" value={values.caseTypeId} onChange={set('caseTypeId')} error={errors.caseTypeId}>
        <option value="">None</option>
        {options.data?.caseTypes.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </SelectField>
      <SelectField label="Priority" name="casePriorityId" value={values.casePriorityId} onChange={set('casePriorityId')} error={errors.casePriorityId}>
        <option value="">None</option>
        {options.data?.casePriorities.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
      </SelectField>
      {update.isError && !Object.keys(errors).length && <p className="form-error">{messageOf(update.error)}</p>}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={!dirty || update.isPending}>
          {update.isPending ? 'Saving…' : 'Save changes'}
        </button>
        {dirty && (
          <button type="button" className="button ghost" onClick={() => setValues(saved)}>
            Undo
          </button>
        )}
      </div>
    </form>
  );
}
