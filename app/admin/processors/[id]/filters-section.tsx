'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { MATCH_FIELD_LABELS, MATCH_RULE_LABELS } from '@/server/domain/filter-settings';
import { MATCH_FIELDS, MATCH_RULES, MAX_FILTERS_PER_PROCESSOR } from '@/server/domain/filter-fields';
import type { FilterView } from '@/server/services/filters';
import { CheckboxField, SelectField, TextField } from '../../../components/field';
import { fieldErrorsOf, messageOf } from '../../../form-errors';
import { useToast } from '../../../toast';
import { useTRPC } from '../../../trpc';

type Editing = { mode: 'new' } | { mode: 'edit'; filter: FilterView } | null;

export function FiltersSection({ processorId }: { processorId: string }) {
  const trpc = useTRPC();
  const toast = useToast();
  const queryClient = useQueryClient();
  const filters = useQuery(trpc.filters.list.queryOptions({ processorId }));
  const catalog = useQuery(trpc.catalog.list.queryOptions());
  const users = useQuery(trpc.users.list.queryOptions());
  const [editing, setEditing] = useState<Editing>(null);
  const invalidate = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.filters.pathKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.processors.pathKey() });
  };
  const remove = useMutation(trpc.filters.delete.mutationOptions({ onSuccess: invalidate }));
  const reorder = useMutation(trpc.filters.reorder.mutationOptions({ onSuccess: invalidate }));

  const nameOf = (list: Array<{ id: string; name: string }> | undefined, id: string | null) =>
    id ? (list?.find((x) => x.id === id)?.name ?? '(removed)') : '—';

  async function move(index: number, delta: -1 | 1) {
    const ids = (filters.data ?? []).map((f) => f.id);
    const target = index + delta;
    if (target < 0 || target >= ids.length) return;
    [ids[index], ids[target]] = [ids[target], ids[index]];
    try {
      await reorder.mutateAsync({ processorId, orderedIds: ids });
    } catch (err) {
      toast.error(messageOf(err));
    }
  }

  async function onDelete(filter: FilterView) {
    if (!window.confirm('Delete this filter?')) return;
    try {
      await remove.mutateAsync({ id: filter.id });
      toast.success('Filter deleted.');
    } catch (err) {
      toast.error(messageOf(err));
    }
  }

  return (
    <section className="card" id="filters" aria-labelledby="filters-heading">
      <div className="section-header">
        <h2 id="filters-heading">Email processor filters</h2>
        <button
          type="button"
          className="button primary"
          disabled={(filters.data?.length ?? 0) >= MAX_FILTERS_PER_PROCESSOR}
          title={(filters.data?.length ?? 0) >= MAX_FILTERS_PER_PROCESSOR ? `A processor has at most ${MAX_FILTERS_PER_PROCESSOR} filters.` : undefined}
          onClick={() => setEditing({ mode: 'new' })}
        >
          New filter
        </button>
      </div>
      <p className="muted">
        Filters run from the top (lowest priority number first). Each matching filter sets the case fields it names; a later match
        overrides an earlier one; &quot;stop filtering&quot; ends the run. A filter without a condition matches every message. Mail is
        never dropped: with no match the case gets the system defaults.
      </p>
      {filters.isError && <p className="form-error">{filters.error.message}</p>}
      {filters.data && filters.data.length === 0 && !editing && <p className="empty">No filters yet, so nothing is processed.</p>}
      {filters.data && filters.data.length > 0 && (
        <table className="table" data-testid="filter-table">
          <thead>
            <tr>
              <th>Priority</th>
              <th>Condition</th>
              <th>Case type</th>
              <th>Priority</th>
              <th>Assigned to</th>
              <th>Managed by</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {filters.data.map((f, index) => (
              <tr key={f.id}>
                <td>{f.priority}</td>
                <td>
                  {describeCondition(f)}
                  {f.stopFiltering && <span className="badge">stop</span>}
                </td>
                <td>{nameOf(catalog.data?.caseTypes, f.caseTypeId)}</td>
                <td>{nameOf(catalog.data?.casePriorities, f.casePriorityId)}</td>
                <td>{nameOf(users.data, f.assignedToId)}</td>
                <td>{nameOf(users.data, f.managedById)}</td>
                <td className="row-actions">
                  <button type="button" className="button small" aria-label="Move up" disabled={index === 0} onClick={() => move(index, -1)}>
                    ↑
                  </button>
                  <button
                    type="button"
                    className="button small"
                    aria-label="Move down"
                    disabled={index === filters.data.length - 1}
                    onClick={() => move(index, 1)}
                  >
                    ↓
                  </button>
                  <button type="button" className="button small" onClick={() => setEditing({ mode: 'edit', filter: f })}>
                    Edit
                  </button>
                  <button type="button" className="button small danger" onClick={() => onDelete(f)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <FilterForm
          key={editing.mode === 'edit' ? editing.filter.id : 'new'}
          processorId={processorId}
          filter={editing.mode === 'edit' ? editing.filter : undefined}
          nextPriority={((filters.data ?? []).at(-1)?.priority ?? 0) + 10}
          catalog={catalog.data}
          users={(users.data ?? []).filter((u) => u.active)}
          onDone={async () => {
            setEditing(null);
            await invalidate();
          }}
          onCancel={() => setEditing(null)}
        />
      )}
    </section>
  );
}

function describeCondition(f: FilterView): string {
  if (!f.matchField || !f.matchRule) return 'Every message (default filter)';
  const field = f.matchField === 'header' ? `Header ${f.headerName ?? ''}` : MATCH_FIELD_LABELS[f.matchField];
  return `${field} ${MATCH_RULE_LABELS[f.matchRule]} "${f.matchValue ?? ''}"`;
}

type Option = { id: string; name: string };

function FilterForm(props: {
  processorId: string;
  filter?: FilterView;
  nextPriority: number;
  catalog?: { caseTypes: Option[]; casePriorities: Option[] };
  users: Option[];
  onDone: () => Promise<void>;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const toast = useToast();
  const create = useMutation(trpc.filters.create.mutationOptions());
  const update = useMutation(trpc.filters.update.mutationOptions());
  const [matchField, setMatchField] = useState<string>(props.filter?.matchField ?? '');
  const errors = fieldErrorsOf(props.filter ? update.error : create.error);
  const f = props.filter;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const text = (name: string) => String(data.get(name) ?? '');
    const orNull = (name: string) => text(name) || null;
    const isDefault = !text('matchField');
    const values = {
      matchField: (orNull('matchField') as FilterView['matchField']) ?? null,
      headerName: orNull('headerName'),
      matchRule: isDefault ? null : ((orNull('matchRule') as FilterView['matchRule']) ?? null),
      matchValue: isDefault ? null : text('matchValue'),
      priority: Number(text('priority')),
      stopFiltering: data.get('stopFiltering') === 'on',
      caseTypeId: orNull('caseTypeId'),
      casePriorityId: orNull('casePriorityId'),
      assignedToId: orNull('assignedToId'),
      managedById: orNull('managedById'),
    };
    try {
      if (f) await update.mutateAsync({ ...values, id: f.id });
      else await create.mutateAsync({ ...values, processorId: props.processorId });
      toast.success('Filter saved.');
      await props.onDone();
    } catch (err) {
      if (Object.keys(fieldErrorsOf(err)).length === 0) toast.error(messageOf(err));
    }
  }

  return (
    <form className="form card" onSubmit={onSubmit} noValidate aria-label={f ? 'Edit filter' : 'New filter'}>
      <h3>{f ? 'Edit filter' : 'New filter'}</h3>
      <div className="grid-form form">
        <SelectField label="Match field" name="matchField" value={matchField} onChange={(e) => setMatchField(e.target.value)} error={errors.matchField}>
          <option value="">Any message (default filter)</option>
          {MATCH_FIELDS.map((field) => (
            <option key={field} value={field}>
              {MATCH_FIELD_LABELS[field]}
            </option>
          ))}
        </SelectField>
        {matchField === 'header' && (
          <TextField label="Header name" name="headerName" defaultValue={f?.headerName ?? ''} placeholder="X-Priority" error={errors.headerName} />
        )}
        {matchField && (
          <>
            <SelectField label="Match rule" name="matchRule" defaultValue={f?.matchRule ?? 'contains'} error={errors.matchRule}>
              {MATCH_RULES.map((rule) => (
                <option key={rule} value={rule}>
                  {MATCH_RULE_LABELS[rule]}
                </option>
              ))}
            </SelectField>
            <TextField label="Match value" name="matchValue" defaultValue={f?.matchValue ?? ''} error={errors.matchValue} />
          </>
        )}
        <TextField label="Priority" name="priority" type="number" min={0} defaultValue={f?.priority ?? props.nextPriority} error={errors.priority} hint="Lower runs first." />
        <CheckboxField label="Stop filtering" name="stopFiltering" defaultChecked={f?.stopFiltering ?? false} hint="When this filter matches, skip the ones after it." />
      </div>
      <div className="grid-form form">
        <OptionSelect label="Case type" name="caseTypeId" value={f?.caseTypeId} error={errors.caseTypeId} empty="Leave as is" options={props.catalog?.caseTypes} />
        <OptionSelect
          label="Case priority"
          name="casePriorityId"
          value={f?.casePriorityId}
          error={errors.casePriorityId}
          empty="Leave as is"
          options={props.catalog?.casePriorities}
        />
        <OptionSelect label="Assigned to" name="assignedToId" value={f?.assignedToId} error={errors.assignedToId} empty="Nobody" options={props.users} />
        <OptionSelect label="Managed by" name="managedById" value={f?.managedById} error={errors.managedById} empty="Nobody" options={props.users} />
      </div>
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={create.isPending || update.isPending}>
          Save filter
        </button>
        <button type="button" className="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function OptionSelect(props: { label: string; name: string; value?: string | null; error?: string; empty: string; options?: Option[] }) {
  return (
    <SelectField label={props.label} name={props.name} defaultValue={props.value ?? ''} error={props.error}>
      <option value="">{props.empty}</option>
      {props.options?.map((o) => (
        <option key={o.id} value={o.id}>
          {o.name}
        </option>
      ))}
    </SelectField>
  );
}
