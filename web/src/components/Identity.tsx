import { type ReactNode, useState } from 'react';
import { ApiError, accountApi } from '../api';
import { formatClock } from '../time';
import { errorText } from './ui';

/** Advice the server gives with a refused password, in whichever of its known shapes it comes. */
function adviceOf(details: unknown): string[] {
  if (!details || typeof details !== 'object' || Array.isArray(details)) return [];
  const fields = details as Record<string, unknown>;
  const advice: string[] = [];
  for (const key of ['reason', 'warning']) {
    const text = fields[key];
    if (typeof text === 'string' && text) advice.push(text);
  }
  const suggestions = fields.suggestions;
  if (Array.isArray(suggestions)) advice.push(...suggestions.filter((s): s is string => typeof s === 'string' && s !== ''));
  return advice;
}

/** Whether a refusal is about the body field `field` (its `details` name it). */
function concerns(error: ApiError, field: string): boolean {
  const details = error.details;
  if (Array.isArray(details)) return details.some((d) => typeof d?.path === 'string' && d.path.endsWith(`/${field}`));
  if (details && typeof details === 'object' && 'field' in details) return (details as { field: unknown }).field === field;
  return error.code === 'weak_password';
}

/**
 * What is wrong with the new password in body field `field`, to show next to it: guessable or
 * too short, with the server's advice. Any other refusal is for the form, not the field.
 */
export function passwordProblem(error: unknown, field: string): ReactNode {
  if (!(error instanceof ApiError)) return null;
  if (error.code !== 'weak_password' && error.code !== 'invalid_request') return null;
  if (!concerns(error, field)) return null;
  const advice = adviceOf(error.details);
  // The message may already spell out the advice; then the list carries it, once.
  const message = advice.reduce((text, line) => text.replace(line, ''), error.message).trim() || error.message;
  return (
    <>
      <p>{message}</p>
      {advice.length > 0 ? (
        <ul>
          {advice.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

export function waitText(seconds: number | undefined): string {
  if (!seconds) return 'Too many requests: try again in a little while.';
  if (seconds < 90) return `Too many requests: try again in ${seconds} seconds.`;
  const at = formatClock(new Date(Date.now() + seconds * 1000).toISOString());
  return `Too many requests: try again in ${Math.ceil(seconds / 60)} minutes (at ${at}).`;
}

/** "Resend" for the verification link, saying that it left or when it may be asked again. */
export function ResendVerification({ label = 'Resend' }: { label?: string }) {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  async function resend() {
    setBusy(true);
    setOutcome(null);
    try {
      await accountApi.resendVerification();
      setOutcome({ ok: true, text: 'Sent — check your inbox.' });
    } catch (error) {
      const text = error instanceof ApiError && error.status === 429 ? waitText(error.retryAfter) : errorText(error);
      setOutcome({ ok: false, text });
    } finally {
      setBusy(false);
    }
  }
  return (
    <span className="resend">
      <button type="button" onClick={() => void resend()} disabled={busy}>
        {label}
      </button>
      <span role="status" className={outcome ? (outcome.ok ? 'sent' : 'refused') : undefined}>
        {outcome?.text}
      </span>
    </span>
  );
}
