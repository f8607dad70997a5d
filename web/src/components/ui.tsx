import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { ApiError, type Level } from '../api';
import { levelLabel } from '../levels';

export { formatDate, formatDay, timeLeft, until } from '../time';

import { useNavigate } from '@tanstack/react-router';

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return 'Something went wrong. Check your connection and try again.';
}

/** A section whose endpoint this server does not offer (404 of the route) is left out rather than shown broken. */
export const isMissing = (error: unknown) => error instanceof ApiError && (error.status === 404 || error.status === 403);

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {errorText(error)}
    </p>
  );
}

/** What a change just did, read out when it appears; nothing when there is nothing to say. */
export function Notice({ text }: { text: ReactNode }) {
  if (!text) return null;
  return (
    <p className="notice" role="status">
      {text}
    </p>
  );
}

/**
 * A labelled form control. `children` receives the control's id and the ids that describe it
 * (its error first, then its hint), for `aria-describedby`.
 */
export function Field({
  label,
  hint,
  error,
  children,
}: {
  label: string;
  hint?: string | undefined;
  error?: ReactNode;
  children: (id: string, describedBy: string | undefined) => ReactNode;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(' ') || undefined;
  // A field that has just been refused takes the focus, so its error is read out with it.
  const refused = Boolean(error);
  useEffect(() => {
    if (refused) document.getElementById(id)?.focus();
  }, [refused, id]);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id, describedBy)}
      {error ? (
        <div id={errorId} className="error field-error" role="alert">
          {error}
        </div>
      ) : null}
      {hint ? (
        <small id={hintId} className="hint">
          {hint}
        </small>
      ) : null}
    </div>
  );
}

export function LevelBadge({ level }: { level: Level | null }) {
  return <span className={`badge level-${level ?? 'none'}`}>{levelLabel(level)}</span>;
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary';

/** A modal dialog: focus moves in and stays in, Escape closes it, focus returns where it was. */
export function Dialog({ title, onClose, children }: { title: string; onClose(): void; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  // Parents pass a fresh onClose on every render; the focus must move in only once.
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const dialog = ref.current;
    const first =
      dialog?.querySelector<HTMLElement>('input:not([readonly]), select, textarea') ?? dialog?.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') close.current();
      if (event.key !== 'Tab' || !dialog) return;
      const focusable = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)];
      const head = focusable[0];
      const tail = focusable.at(-1);
      if (event.shiftKey && document.activeElement === head) {
        event.preventDefault();
        tail?.focus();
      } else if (!event.shiftKey && document.activeElement === tail) {
        event.preventDefault();
        head?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      previous?.focus();
    };
  }, []);
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a click beside the dialog closes it; keyboards use Escape.
    <div className="backdrop" role="presentation" onMouseDown={(event) => event.target === event.currentTarget && onClose()}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby={titleId} ref={ref}>
        <header>
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="ghost close" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        {children}
      </div>
    </div>
  );
}

/**
 * A form in a dialog: its fields, why it was refused, Cancel and the action. `onSubmit` runs the
 * change; if it throws, the dialog stays open and says why.
 */
export function DialogForm({
  title,
  submitLabel,
  onClose,
  onSubmit,
  children,
}: {
  title: string;
  submitLabel: string;
  onClose(): void;
  onSubmit(): Promise<unknown>;
  children: ReactNode;
}) {
  const [error, setError] = useState<unknown>(null);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      await onSubmit();
    } catch (caught) {
      setError(caught);
    }
  }
  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={submit}>
        {children}
        <ErrorNote error={error} />
        <footer className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary">
            {submitLabel}
          </button>
        </footer>
      </form>
    </Dialog>
  );
}

/** A column heading: its words, or a column of buttons (named for screen readers only), or numbers (right-aligned). */
export type Column = string | { label: string; numeric: true } | 'actions';

/** A table's row of column headings. */
export function TableHeader({ columns }: { columns: Column[] }) {
  return (
    <thead>
      <tr>
        {columns.map((column) =>
          column === 'actions' ? (
            <th key="actions" scope="col">
              <span className="sr-only">Actions</span>
            </th>
          ) : typeof column === 'string' ? (
            <th key={column} scope="col">
              {column}
            </th>
          ) : (
            <th key={column.label} scope="col" className="num">
              {column.label}
            </th>
          ),
        )}
      </tr>
    </thead>
  );
}

/** Asks before something that cannot be undone; the dialog closes before `onConfirm` runs. */
export function Confirm({
  title,
  confirmLabel,
  onConfirm,
  onClose,
  children,
}: {
  title: string;
  confirmLabel: string;
  onConfirm(): void;
  onClose(): void;
  children: ReactNode;
}) {
  return (
    <Dialog title={title} onClose={onClose}>
      {children}
      <footer className="actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="danger"
          onClick={() => {
            onClose();
            onConfirm();
          }}
        >
          {confirmLabel}
        </button>
      </footer>
    </Dialog>
  );
}

/** A page for something that does not exist or that the viewer cannot see: the two look the same. */
export function NotFoundPage({ title, children }: { title: string; children: ReactNode }) {
  const navigate = useNavigate();
  return (
    <main className="page narrow">
      <div className="card">
        <h1>{title}</h1>
        <p>{children}</p>
        <button type="button" className="primary" onClick={() => void navigate({ to: '/' })}>
          Back to my datasets
        </button>
      </div>
    </main>
  );
}

/**
 * A panel's changes: `act` runs one, then shows that it is done (or why it was refused), and
 * reloads what it changed either way, so the panel shows what the server now holds. `done` is
 * the notice, or makes it from what `run` answered.
 */
export function useChanges() {
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function act<T>(run: () => Promise<T>, done: string | null | ((answer: T) => string | null), reload: () => Promise<unknown>) {
    setError(null);
    setNotice(null);
    try {
      const answer = await run();
      setNotice(typeof done === 'function' ? done(answer) : done);
    } catch (caught) {
      setError(caught);
    }
    await reload();
  }
  return { notice, error, setError, act };
}

/** The tab title names the page, so history, tabs and screen readers tell pages apart. */
export function useTitle(title: string | null): void {
  useEffect(() => {
    document.title = title ? `${title} · Tessera` : 'Tessera';
  }, [title]);
}

export const plural = (count: number, word: string, words = `${word}s`) => `${count} ${count === 1 ? word : words}`;
