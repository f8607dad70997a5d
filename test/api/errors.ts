import { expect } from 'vitest';
import type { Response } from '../helpers/client.js';

/** What must never reach a client: SQL, file paths, driver names. */
const LEAKS = ['SELECT', 'select ', '/work/', 'node_modules', '.ts:', 'SqliteError'];
// A stack frame ("    at fn (file:1:2)"); plain English such as "at least" is fine.
const STACK_FRAME = /\n\s+at |\bat [^\s()]+ \([^)]*:\d+:\d+\)|\bat (file|node):/;

/** An answer in the API's error shape, with the given status and code, and nothing of the inside. */
export function expectError(res: Response, status: number, code: string): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: { error: expect.objectContaining({ code, message: expect.any(String) }) },
  });
  expectNoLeak(res);
}

export function expectNoLeak(res: Response): void {
  const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
  for (const leak of LEAKS) expect(text, `the answer leaks "${leak}"`).not.toContain(leak);
  expect(text, 'the answer carries a stack trace').not.toMatch(STACK_FRAME);
}
