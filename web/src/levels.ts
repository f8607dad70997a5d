import type { Level } from './api';

/**
 * The words for a level, everywhere the UI names one: the level, then what the other family of
 * users calls it, so that both recognise it.
 */
export const LEVEL_LABEL: Record<Level, string> = {
  read: 'read (view)',
  annotate: 'annotate (review)',
  write: 'write (curate)',
  admin: 'admin (manage)',
};

export function levelLabel(level: Level | null | undefined): string {
  return level ? LEVEL_LABEL[level] : 'no access';
}
