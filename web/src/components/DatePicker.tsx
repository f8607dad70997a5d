import { formatDate } from '../time';

/** The moment a day picked as an end stands for: the last second of that day, UTC, as the e-mails count it. */
export function endOfDay(day: string): string {
  return new Date(`${day}T23:59:59Z`).toISOString();
}

/** A day as a date picker writes it (year-month-day, UTC) `days` from now. */
export const dayFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/**
 * A day picker, with what the chosen day means said under it in words, in the reader's own style
 * ("24 Dec 2026" or "Dec 24, 2026") and with its zone. The picker's own layout (dd/mm/yyyy or
 * mm/dd/yyyy) is the browser's, from the system's settings; the words leave no doubt either way.
 */
export function DatePicker({
  id,
  label,
  value,
  onChange,
  words,
  min,
  max,
  required,
  describedBy,
}: {
  id?: string;
  /** Names the picker where no visible label does. */
  label?: string;
  value: string;
  onChange(day: string): void;
  /** What the chosen day means; by default "until <its end, with the zone>". */
  words?: string | null;
  min?: string;
  max?: string;
  required?: boolean;
  describedBy?: string | undefined;
}) {
  const said = words !== undefined ? words : value ? `until ${formatDate(endOfDay(value))}` : null;
  return (
    <>
      <input
        id={id}
        type="date"
        aria-label={label}
        aria-describedby={describedBy}
        value={value}
        min={min}
        max={max}
        required={required}
        onChange={(e) => onChange(e.target.value)}
      />
      {said ? <div className="muted date-words">{said}</div> : null}
    </>
  );
}
