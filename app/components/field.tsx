'use client';
import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes } from 'react';

// Form fields with their label, hint and inline error wired for screen readers.

type Common = { label: string; name: string; error?: string; hint?: ReactNode };

export function TextField({ label, name, error, hint, ...input }: Common & InputHTMLAttributes<HTMLInputElement>) {
  const id = input.id ?? `f-${name}`;
  const describedBy = [error && `${id}-error`, hint && `${id}-hint`].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} name={name} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
      {hint && (
        <small id={`${id}-hint`} className="field-hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} className="field-error">
          {error}
        </small>
      )}
    </div>
  );
}

export function SelectField({
  label,
  name,
  error,
  hint,
  children,
  ...select
}: Common & SelectHTMLAttributes<HTMLSelectElement> & { children: ReactNode }) {
  const id = select.id ?? `f-${name}`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} name={name} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} {...select}>
        {children}
      </select>
      {hint && <small className="field-hint">{hint}</small>}
      {error && (
        <small id={`${id}-error`} className="field-error">
          {error}
        </small>
      )}
    </div>
  );
}

export function CheckboxField({ label, name, error, hint, ...input }: Common & InputHTMLAttributes<HTMLInputElement>) {
  const id = input.id ?? `f-${name}`;
  return (
    <div className="field">
      <label className="checkbox" htmlFor={id}>
        <input id={id} name={name} type="checkbox" aria-invalid={error ? true : undefined} {...input} /> {label}
      </label>
      {hint && <small className="field-hint">{hint}</small>}
      {error && <small className="field-error">{error}</small>}
    </div>
  );
}
