'use client';
// The reply composer under the thread: a reply to the customer (To/CC/subject prefilled by the server,
// rich text sent as text/plain + sanitized HTML, the answered message quoted, attachments, the mailbox's
// signature, the status the case takes) or an internal note, never emailed. What the agent writes is
// kept as their draft on the server, saved shortly after each change (DRAFT_SAVE_DELAY_MS), so a reload
// or a crashed browser loses nothing. Sending while a colleague's reply to the same message went out
// since this draft began asks first (the server refuses with CONFLICT; "Send anyway" sends regardless).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { EditorContent, useEditor } from '@tiptap/react';
import StarterKit from '@tiptap/starter-kit';
import { type ChangeEvent, useCallback, useEffect, useRef, useState } from 'react';
import { formatRecipientList, parseRecipientList } from '@/server/domain/reply-recipients';
import type { DraftUpload } from '@/server/services/case-drafts';
import type { ReplyDefaults } from '@/server/services/case-replies';
import type { CaseStatus } from '@/server/services/cases';
import { fieldErrorsOf, messageOf } from '../../../form-errors';
import { useToast } from '../../../toast';
import { useTRPC } from '../../../trpc';
import { formatBytes, formatDateTime } from '../../components/format';
import { STATUS_LABEL, STATUSES } from '../../components/case-status';
import type { ComposerMode } from './use-case-presence';
import './answering.css';

const DRAFT_SAVE_DELAY_MS = 700;

// crypto.randomUUID exists only in secure contexts (https, localhost); a plain-http intranet has none.
function newClientKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

type DraftFields = { mode: ComposerMode; bodyHtml: string; bodyText: string; toText: string; ccText: string; subject: string };

type Props = {
  caseId: string;
  /** The newest message in the thread as this page shows it (server time), for the collision check. */
  latestMessageAt: Date | null;
  /** The newest inbound mail in the thread: when another arrives, the reply answers that one instead. */
  latestInboundId: string | null;
  onTyping: (mode: ComposerMode | null) => void;
};

export function Composer({ caseId, latestMessageAt, latestInboundId, onTyping }: Props) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [generation, setGeneration] = useState(0);
  const defaults = useQuery(trpc.replies.defaults.queryOptions({ caseId }, { refetchOnWindowFocus: false }));
  // New mail from the customer while the composer is open: answer (and quote) that one.
  const answered = useRef(latestInboundId);
  useEffect(() => {
    if (answered.current === latestInboundId) return;
    answered.current = latestInboundId;
    void queryClient.invalidateQueries({ queryKey: trpc.replies.defaults.queryKey({ caseId }) });
  }, [latestInboundId, queryClient, trpc, caseId]);
  const draft = useQuery(trpc.drafts.get.queryOptions({ caseId }, { refetchOnWindowFocus: false, staleTime: Infinity }));

  // After a send the composer starts again from fresh defaults (the thread has a new latest message).
  const restart = useCallback(async () => {
    await Promise.all([
      queryClient.refetchQueries({ queryKey: trpc.drafts.get.queryKey({ caseId }) }),
      queryClient.refetchQueries({ queryKey: trpc.replies.defaults.queryKey({ caseId }) }),
    ]);
    setGeneration((g) => g + 1);
  }, [queryClient, trpc, caseId]);

  if (defaults.isError || draft.isError) {
    return (
      <section className="card composer" aria-label="Reply">
        <p className="form-error">{messageOf(defaults.error ?? draft.error)}</p>
      </section>
    );
  }
  if (!defaults.data || !draft.data) return <p className="muted">Loading the composer…</p>;
  return (
    <ComposerForm
      key={generation}
      caseId={caseId}
      defaults={defaults.data}
      saved={draft.data.draft}
      savedUploads={draft.data.uploads}
      attachmentLimitBytes={draft.data.attachmentLimitBytes}
      latestMessageAt={latestMessageAt}
      latestInboundId={latestInboundId}
      onTyping={onTyping}
      onDone={restart}
    />
  );
}

type FormProps = Props & {
  defaults: ReplyDefaults;
  saved: (DraftFields & { createdAt: Date; updatedAt: Date }) | null;
  savedUploads: DraftUpload[];
  attachmentLimitBytes: number;
  onDone: () => Promise<void>;
};

type SaveState = { kind: 'idle' } | { kind: 'saving' } | { kind: 'saved'; at: Date } | { kind: 'error'; message: string };

function ComposerForm({ caseId, defaults, saved, savedUploads, attachmentLimitBytes, latestMessageAt, onTyping, onDone }: FormProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [fields, setFields] = useState<DraftFields>(
    saved ?? { mode: 'reply', bodyHtml: '', bodyText: '', toText: formatRecipientList(defaults.to), ccText: formatRecipientList(defaults.cc), subject: defaults.subject },
  );
  const [uploads, setUploads] = useState<DraftUpload[]>(savedUploads);
  const [uploading, setUploading] = useState<string[]>([]);
  const [attachError, setAttachError] = useState<string | null>(null);
  const [includeQuote, setIncludeQuote] = useState(true);
  const [status, setStatus] = useState<CaseStatus>('pending');
  const [saveState, setSaveState] = useState<SaveState>(saved ? { kind: 'saved', at: saved.updatedAt } : { kind: 'idle' });
  const [conflict, setConflict] = useState<{ by: string; at: Date } | null>(null);
  // When this draft began (server time): a colleague's reply stored after it means "ask before sending".
  const startedAt = useRef<Date | null>(saved?.createdAt ?? null);
  const clientKey = useRef(newClientKey());

  // Saving: one request at a time, always the latest fields, so an older save never lands last.
  const latest = useRef(fields);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const inFlight = useRef<Promise<void> | null>(null);
  const dirty = useRef(false);
  // Until the agent changes anything, To/CC/subject follow the defaults (new mail may change them).
  const touched = useRef(saved !== null);
  useEffect(() => {
    if (touched.current) return;
    const next = { ...latest.current, toText: formatRecipientList(defaults.to), ccText: formatRecipientList(defaults.cc), subject: defaults.subject };
    latest.current = next;
    setFields(next);
  }, [defaults]);
  const saveDraft = useMutation(trpc.drafts.save.mutationOptions());
  const save = useRef(saveDraft.mutateAsync);
  useEffect(() => {
    save.current = saveDraft.mutateAsync;
  });

  const flush = useCallback(async (): Promise<void> => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    while (inFlight.current) await inFlight.current;
    if (!dirty.current) return;
    dirty.current = false;
    setSaveState({ kind: 'saving' });
    inFlight.current = save
      .current({ caseId, ...latest.current })
      .then((result) => {
        startedAt.current ??= result.createdAt;
        setSaveState({ kind: 'saved', at: result.updatedAt });
      })
      .catch((err: unknown) => {
        dirty.current = true;
        setSaveState({ kind: 'error', message: messageOf(err) });
      })
      .finally(() => {
        inFlight.current = null;
      });
    await inFlight.current;
  }, [caseId]);

  const change = useCallback(
    (patch: Partial<DraftFields>) => {
      touched.current = true;
      setFields((f) => {
        const next = { ...f, ...patch };
        latest.current = next;
        return next;
      });
      startedAt.current ??= latestMessageAt;
      dirty.current = true;
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(() => void flush(), DRAFT_SAVE_DELAY_MS);
    },
    [flush, latestMessageAt],
  );

  // A page left while a save was waiting still saves it (the request outlives the component).
  useEffect(
    () => () => {
      if (timer.current && dirty.current) void flush();
    },
    [flush],
  );
  const onChange = useRef({ change, onTyping });
  useEffect(() => {
    onChange.current = { change, onTyping };
  });

  const editor = useEditor({
    extensions: [StarterKit.configure({ heading: { levels: [2, 3] }, link: { openOnClick: false, autolink: true } })],
    content: fields.bodyHtml,
    immediatelyRender: false,
    editorProps: {
      attributes: { class: 'composer-editor', 'aria-label': 'Message text', role: 'textbox', 'aria-multiline': 'true', 'data-testid': 'composer-editor' },
    },
    onUpdate: ({ editor: e }) => {
      onChange.current.change({ bodyHtml: e.getHTML(), bodyText: e.getText({ blockSeparator: '\n\n' }) });
      onChange.current.onTyping(latest.current.mode);
    },
  });

  const isNote = fields.mode === 'note';
  const empty = fields.bodyText.trim() === '';

  const afterSent = async (message: string) => {
    onTyping(null);
    toast.success(message);
    void queryClient.invalidateQueries({ queryKey: trpc.cases.get.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.cases.list.pathKey() });
    await onDone();
  };

  const send = useMutation(
    trpc.replies.send.mutationOptions({
      onSuccess: (result) => afterSent(`Reply queued for sending; ${result.caseNumber} is now ${STATUS_LABEL[result.status]}.`),
      onError: (err) => {
        const fe = fieldErrorsOf(err);
        const code = (err as { data?: { appCode?: string | null } }).data?.appCode;
        if (code === 'CONFLICT' && fe.repliedBy && fe.repliedAt) setConflict({ by: fe.repliedBy, at: new Date(fe.repliedAt) });
        // Nothing was sent: the draft stays, and is saved again with whatever was typed last.
        change({});
      },
    }),
  );
  const addNote = useMutation(trpc.replies.addNote.mutationOptions({ onSuccess: () => afterSent('Note added to the thread.'), onError: () => change({}) }));
  const discard = useMutation(trpc.drafts.discard.mutationOptions({ onSuccess: () => onDone() }));
  const removeUpload = useMutation(trpc.replies.discardUpload.mutationOptions());

  /** Stops any save still to come: the draft is about to be sent or discarded. */
  const settle = async () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    dirty.current = false;
    while (inFlight.current) await inFlight.current;
  };

  const submit = async (anyway = false) => {
    setConflict(null);
    await settle();
    if (isNote) {
      addNote.mutate({ caseId, text: fields.bodyText });
      return;
    }
    send.mutate({
      caseId,
      inReplyToMessageId: defaults.inReplyToMessageId,
      to: parseRecipientList(fields.toText),
      cc: parseRecipientList(fields.ccText),
      subject: fields.subject,
      text: fields.bodyText,
      html: fields.bodyHtml,
      uploadIds: uploads.map((u) => u.id),
      status,
      includeQuote,
      clientKey: clientKey.current,
      ifNoReplySince: anyway ? null : (startedAt.current ?? latestMessageAt)?.toISOString() ?? null,
    });
  };

  const attach = async (e: ChangeEvent<HTMLInputElement>) => {
    const files = [...(e.target.files ?? [])];
    e.target.value = '';
    setAttachError(null);
    let total = uploads.reduce((n, u) => n + u.size, 0);
    for (const file of files) {
      if (total + file.size > attachmentLimitBytes) {
        setAttachError(
          `Attachments may be ${formatBytes(attachmentLimitBytes)} in all: ${file.name} (${formatBytes(file.size)}) would make ${formatBytes(total + file.size)}. Remove a file or send it another way.`,
        );
        return;
      }
      setUploading((u) => [...u, file.name]);
      try {
        const body = new FormData();
        body.append('file', file);
        const res = await fetch(`/api/cases/${caseId}/reply-uploads`, { method: 'POST', body, credentials: 'same-origin' });
        const answer = (await res.json().catch(() => ({}))) as Partial<DraftUpload> & { error?: string };
        if (!res.ok || !answer.id) {
          setAttachError(answer.error ?? `${file.name} could not be attached (HTTP ${res.status}).`);
          return;
        }
        total += file.size;
        setUploads((u) => [...u, { id: answer.id!, filename: answer.filename ?? file.name, size: answer.size ?? file.size, contentType: answer.contentType ?? file.type }]);
      } catch {
        setAttachError(`${file.name} could not be attached: the connection failed. Try again.`);
        return;
      } finally {
        setUploading((u) => u.filter((n) => n !== file.name));
      }
    }
  };

  const pending = send.isPending || addNote.isPending;
  const sendError = send.isError && !conflict ? send.error : addNote.isError ? addNote.error : null;
  const errors = fieldErrorsOf(send.error);

  return (
    <section className={`card composer${isNote ? ' composer-note' : ''}`} aria-label={isNote ? 'Internal note' : 'Reply'} data-testid="composer">
      <div className="composer-modes" role="group" aria-label="Write">
        <button type="button" className={`button small${isNote ? ' ghost' : ' primary'}`} aria-pressed={!isNote} onClick={() => change({ mode: 'reply' })}>
          Reply
        </button>
        <button type="button" className={`button small${isNote ? ' primary' : ' ghost'}`} aria-pressed={isNote} onClick={() => change({ mode: 'note' })}>
          Note
        </button>
        <span className="composer-save muted small" data-testid="draft-state" data-state={saveState.kind}>
          {saveState.kind === 'saving' && 'Saving draft…'}
          {saveState.kind === 'saved' && `Draft saved ${formatDateTime(saveState.at)}`}
          {saveState.kind === 'error' && <span className="field-error">Draft not saved: {saveState.message}</span>}
        </span>
      </div>

      {isNote ? (
        <p className="note-banner" data-testid="note-banner">
          Internal note — not emailed. Colleagues see it in the thread.
        </p>
      ) : (
        <div className="composer-headers">
          {defaults.from ? (
            <div className="muted small">
              From: {defaults.from.name} &lt;{defaults.from.address}&gt;
            </div>
          ) : (
            <p className="form-error">This case has no mailbox to answer from: its email processor was deleted. You can still add a note.</p>
          )}
          <div className="field">
            <label htmlFor="reply-to">To</label>
            <input id="reply-to" value={fields.toText} onChange={(e) => change({ toText: e.target.value })} aria-invalid={errors.to ? true : undefined} />
            {errors.to && <small className="field-error">{errors.to}</small>}
          </div>
          <div className="field">
            <label htmlFor="reply-cc">CC</label>
            <input id="reply-cc" value={fields.ccText} onChange={(e) => change({ ccText: e.target.value })} aria-invalid={errors.cc ? true : undefined} />
            {errors.cc && <small className="field-error">{errors.cc}</small>}
          </div>
          <div className="field">
            <label htmlFor="reply-subject">Subject</label>
            <input id="reply-subject" value={fields.subject} onChange={(e) => change({ subject: e.target.value })} />
          </div>
        </div>
      )}

      <div className="composer-toolbar" role="toolbar" aria-label="Formatting">
        <button type="button" className="button small ghost" aria-label="Bold" onClick={() => editor?.chain().focus().toggleBold().run()}>
          <strong>B</strong>
        </button>
        <button type="button" className="button small ghost" aria-label="Italic" onClick={() => editor?.chain().focus().toggleItalic().run()}>
          <em>I</em>
        </button>
        <button type="button" className="button small ghost" onClick={() => editor?.chain().focus().toggleBulletList().run()}>
          • List
        </button>
        <button type="button" className="button small ghost" onClick={() => editor?.chain().focus().toggleOrderedList().run()}>
          1. List
        </button>
        <button type="button" className="button small ghost" onClick={() => editor?.chain().focus().toggleBlockquote().run()}>
          Quote
        </button>
      </div>
      <EditorContent editor={editor} className="composer-editor-box" />
      {errors.text && <small className="field-error">{errors.text}</small>}

      {!isNote && defaults.signature && (
        <pre className="composer-signature muted small" data-testid="composer-signature">
          {`-- \n${defaults.signature}`}
        </pre>
      )}

      {!isNote && defaults.quote && (
        <details className="composer-quote" data-testid="composer-quote">
          <summary>
            <label onClick={(e) => e.stopPropagation()}>
              <input type="checkbox" checked={includeQuote} onChange={(e) => setIncludeQuote(e.target.checked)} /> Quote the previous message
            </label>{' '}
            <span className="muted small">{defaults.quote.header}</span>
          </summary>
          <pre className="composer-quote-text small">{defaults.quote.text}</pre>
        </details>
      )}

      {!isNote && (
        <div className="composer-attachments">
          <label className="button small">
            Attach files
            <input type="file" multiple hidden onChange={(e) => void attach(e)} data-testid="attach-input" />
          </label>
          <span className="muted small"> up to {formatBytes(attachmentLimitBytes)} in all</span>
          {(uploads.length > 0 || uploading.length > 0) && (
            <ul className="attachments" aria-label="Attached files">
              {uploads.map((u) => (
                <li key={u.id} data-testid="composer-attachment">
                  {u.filename} <span className="muted small">{formatBytes(u.size)}</span>{' '}
                  <button
                    type="button"
                    className="button small ghost"
                    aria-label={`Remove ${u.filename}`}
                    onClick={() => {
                      removeUpload.mutate({ uploadId: u.id });
                      setUploads((list) => list.filter((x) => x.id !== u.id));
                    }}
                  >
                    Remove
                  </button>
                </li>
              ))}
              {uploading.map((name) => (
                <li key={`up-${name}`} className="muted">
                  {name}: uploading…
                </li>
              ))}
            </ul>
          )}
          {attachError && (
            <p className="form-error" role="alert" data-testid="attach-error">
              {attachError}
            </p>
          )}
        </div>
      )}

      {conflict && (
        <div className="form-warning composer-conflict" role="alertdialog" aria-label="Already answered" data-testid="reply-conflict">
          <p>
            {conflict.by} already replied at {formatDateTime(conflict.at)}. Send anyway?
          </p>
          <button type="button" className="button primary small" onClick={() => void submit(true)}>
            Send anyway
          </button>{' '}
          <button type="button" className="button small ghost" onClick={() => setConflict(null)}>
            Don&apos;t send
          </button>
        </div>
      )}
      {sendError && <p className="form-error">{messageOf(sendError)}</p>}

      <div className="form-actions composer-actions">
        {isNote ? (
          <button type="button" className="button primary" disabled={empty || pending} onClick={() => void submit()}>
            {pending ? 'Adding…' : 'Add note'}
          </button>
        ) : (
          <>
            <button type="button" className="button primary" disabled={empty || pending || !defaults.canSend || uploading.length > 0} onClick={() => void submit()}>
              {pending ? 'Sending…' : 'Send'}
            </button>
            <label className="composer-status small">
              and set the case to{' '}
              <select aria-label="Status after sending" value={status} onChange={(e) => setStatus(e.target.value as CaseStatus)}>
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {STATUS_LABEL[s]}
                  </option>
                ))}
              </select>
            </label>
          </>
        )}
        {(saved || !empty || uploads.length > 0) && (
          <button type="button" className="button ghost small" disabled={discard.isPending || pending} onClick={() => void settle().then(() => discard.mutate({ caseId }))}>
            Discard draft
          </button>
        )}
      </div>
    </section>
  );
}
