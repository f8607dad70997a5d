import { type ReactNode, useId, useRef, useState } from 'react';
import { Field } from './ui';

/**
 * A secret shown this once (a token, a signing secret, a link): what it is, its field with a Copy
 * button, whether the copy worked (where the clipboard is out of reach, the secret is selected for
 * the reader to copy), and, when given, the way to put it away.
 */
export function SecretOnce({
  title,
  label,
  secret,
  children,
  onDone,
}: {
  title: ReactNode;
  label: string;
  secret: string;
  children: ReactNode;
  onDone?(): void;
}) {
  const titleId = useId();
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<boolean | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      field.current?.select();
      setCopied(false);
    }
  }
  return (
    <section className="callout new-token" aria-labelledby={titleId}>
      <h3 id={titleId}>{title}</h3>
      {children}
      <Field label={label}>
        {(id) => (
          <div className="copy-row">
            <input id={id} ref={field} className="secret" readOnly value={secret} onFocus={(e) => e.target.select()} />
            <button type="button" className="primary" onClick={() => void copy()}>
              Copy
            </button>
          </div>
        )}
      </Field>
      <p role="status" className="small">
        {copied === true
          ? 'Copied to the clipboard.'
          : copied === false
            ? 'Copying is blocked here: it is selected, press Ctrl+C (⌘C).'
            : ''}
      </p>
      {onDone ? (
        <button type="button" onClick={onDone}>
          I have copied it
        </button>
      ) : null}
    </section>
  );
}
