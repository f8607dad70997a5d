import type { ReactNode } from 'react';
import { LEVELS, type Level } from '../api';
import { levelLabel } from '../levels';
import { DatePicker, endOfDay } from './DatePicker';
import { until } from './ui';

/**
 * One grant in sharing settings, a person's or a team's: who, the level (changed in place), how
 * they have it (people only), until when (a day picked means to its end, UTC), and Revoke.
 */
export function GrantRow({
  who,
  name,
  level,
  expiresAt,
  dormant = false,
  through,
  onLevel,
  onUntil,
  onRevoke,
}: {
  who: ReactNode;
  /** Names the grant's controls for screen readers: "Ann", "team Labelers". */
  name: string;
  level: Level;
  expiresAt: string | null;
  dormant?: boolean;
  through?: ReactNode;
  onLevel(level: Level): void;
  onUntil(expiresAt: string | null): void;
  onRevoke(): void;
}) {
  return (
    <tr className={dormant ? 'dormant' : ''}>
      <td>{who}</td>
      <td>
        <select aria-label={`Level of ${name}`} value={level} onChange={(e) => onLevel(e.target.value as Level)}>
          {LEVELS.map((l) => (
            <option key={l} value={l}>
              {levelLabel(l)}
            </option>
          ))}
        </select>
      </td>
      {through === undefined ? null : <td>{through}</td>}
      <td>
        <DatePicker
          label={`Access of ${name} until`}
          value={expiresAt ? expiresAt.slice(0, 10) : ''}
          onChange={(day) => onUntil(day ? endOfDay(day) : null)}
          words={expiresAt ? until(expiresAt) : null}
        />
      </td>
      <td>
        <button type="button" className="danger" onClick={onRevoke}>
          Revoke
        </button>
      </td>
    </tr>
  );
}
