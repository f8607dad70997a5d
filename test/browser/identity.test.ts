import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Actor } from '../helpers/client.js';
import { browserSuite, PASSWORD, screenshot, type WebServer } from './browser.js';
import { expectUsable, pageAt, VIEWPORTS } from './page-checks.js';

const STRONG = 'quiet lantern orbits the harbour';

/** The field's error is tied to it: the input is invalid, described by the alert beside it, and focused. */
async function expectFieldError(page: Page, field: Locator, text: RegExp): Promise<void> {
  await expect.poll(() => field.getAttribute('aria-invalid'), { timeout: 15_000 }).toBe('true');
  const ids = (await field.getAttribute('aria-describedby'))?.split(' ') ?? [];
  const described = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  expect(described.join(' ')).toMatch(text);
  expect(await field.evaluate((input) => input === document.activeElement)).toBe(true);
}

/** Confirms the address of someone signed up over the API, with the link mailed to them. */
async function confirmAddress(server: WebServer, actor: Actor): Promise<void> {
  const link = await server.link(actor.user.email, 'verify');
  const res = await actor.post('/api/v1/auth/verify-email', { token: new URL(link).hash.replace('#token=', '') });
  expect(res.status).toBe(204);
}

describe('the web UI: identity you can trust', () => {
  const suite = browserSuite();

  for (const viewport of VIEWPORTS) {
    it(`at ${viewport.name} size: a new account is asked to confirm its address, and the link confirms it once logged in`, {
      timeout: 180_000,
    }, async () => {
      const { server, browser, errors } = suite;
      const email = `ada.${viewport.name}@survey.test`;
      const page = await pageAt(browser, server, viewport, errors);
      await page.goto(server.url);
      await page.getByRole('button', { name: 'New here? Sign up' }).click();
      const signup = page.getByRole('form', { name: 'Create your account' });
      await signup.getByLabel('Your name').fill('Ada Lovelace');
      await signup.getByLabel('E-mail').fill(email);
      const password = signup.getByLabel('Password');

      // A guessable password is refused at its field, with the server's advice.
      await password.fill('adalovelace1');
      await signup.getByRole('button', { name: 'Sign up' }).click();
      await expectFieldError(page, password, /built from your name/);
      await expectUsable(page, 'sign-up with a refused password');

      await password.fill(STRONG);
      await signup.getByRole('button', { name: 'Sign up' }).click();
      const banner = page.getByRole('region', { name: 'Unconfirmed e-mail address' });
      await banner.getByText(`We sent a link to ${email}`).waitFor();
      await expectUsable(page, 'the inventory with the unconfirmed-address banner');

      // Until the address is confirmed, the account page says why no token can be made.
      await page.getByRole('link', { name: 'My account: Ada Lovelace' }).click();
      await page.getByRole('heading', { name: 'My account' }).waitFor();
      await page.getByText('Confirm your e-mail address to create tokens.').waitFor();
      expect(await page.getByRole('button', { name: 'Create token' }).count()).toBe(0);
      await page.getByText('Not confirmed yet').waitFor();
      await expectUsable(page, 'the account page of an unconfirmed account');

      const first = await server.link(email, 'verify');
      await banner.getByRole('button', { name: 'Resend' }).click();
      await banner.getByRole('status').getByText('Sent — check your inbox.').waitFor();
      const second = await server.link(email, 'verify');
      expect(second).not.toBe(first);

      // The first link died with the resend: the page says so and sends a new one.
      await page.goto(first);
      await page.getByRole('heading', { name: 'This link no longer works' }).waitFor();
      await expectUsable(page, 'a dead verification link');
      await page.getByRole('button', { name: 'Send a new link' }).click();
      await page.getByRole('status').getByText('Sent — check your inbox.').waitFor();

      // Asking too often is refused with when to try again.
      await page.goto(`${server.url}/`);
      let answer = '';
      for (let attempt = 0; attempt < 8 && !answer.startsWith('Too many'); attempt++) {
        await banner.getByRole('button', { name: 'Resend' }).click();
        await expect.poll(() => banner.getByRole('status').textContent()).toMatch(/^(Sent|Too many)/);
        answer = (await banner.getByRole('status').textContent()) ?? '';
        if (!answer.startsWith('Too many')) await page.reload();
      }
      expect(answer).toMatch(/^Too many requests: try again in \d+ (seconds|minutes)/);
      await expectUsable(page, 'the banner after too many resends');

      // Logged out, the newest link asks for the log-in first, then confirms the address.
      const newest = await server.link(email, 'verify');
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByRole('form', { name: 'Log in' }).waitFor();
      await page.goto(newest);
      await page.getByRole('heading', { name: 'Log in to confirm your address' }).waitFor();
      expect(await page.getByRole('button', { name: 'New here? Sign up' }).count()).toBe(0);
      await expectUsable(page, 'the verification page, logged out');
      if (viewport.name === 'phone') await screenshot(page, 'verify');
      const login = page.getByRole('form', { name: 'Log in' });
      await login.getByLabel('E-mail').fill(email);
      await login.getByLabel('Password').fill(STRONG);
      await login.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Your address is confirmed' }).waitFor();
      expect(new URL(page.url()).hash).toBe(new URL(newest).hash);
      await expectUsable(page, 'the verification page, confirmed');
      await page.getByRole('button', { name: 'My account' }).click();
      await page.getByText('Confirmed', { exact: true }).waitFor();
      expect(await banner.count()).toBe(0);

      // Another account's link, opened while logged in as Ada, says whose it is.
      const ben = await server.person('Ben Okafor', `ben.${viewport.name}@survey.test`);
      await page.goto(await server.link(ben.user.email, 'verify'));
      await page.getByRole('heading', { name: 'This link is for another account' }).waitFor();
      await expectUsable(page, 'a verification link of another account');
      await page.getByRole('button', { name: 'Log out and log in as the other account' }).click();
      await login.getByLabel('E-mail').fill(ben.user.email);
      await login.getByLabel('Password').fill(PASSWORD);
      await login.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Your address is confirmed' }).waitFor();
      expect((await ben.get('/api/v1/me')).body.user.emailVerified).toBe(true);

      expect(errors).toEqual([]);
    });

    it(`at ${viewport.name} size: the account page ends other sessions, changes the password and manages tokens`, {
      timeout: 180_000,
    }, async () => {
      const { server, browser, errors } = suite;
      const grace = await server.person('Grace Hopper', `grace.${viewport.name}@survey.test`);
      await confirmAddress(server, grace);
      const laptop = await server.logIn(grace.user.email);
      const page = await pageAt(browser, server, viewport, errors, grace);
      await page.goto(`${server.url}/account`);
      await page.getByRole('heading', { name: 'My account' }).waitFor();
      await page.getByText('Confirmed', { exact: true }).waitFor();

      // Sessions: this device is marked and stays; the other one ends.
      const sessions = page.getByRole('list', { name: 'Sessions' });
      await expect.poll(() => sessions.getByRole('listitem').count()).toBe(2);
      expect(await sessions.getByRole('listitem').first().getByText('This device').count()).toBe(1);
      expect(await sessions.getByRole('button', { name: /^End session/ }).count()).toBe(1);
      await expectUsable(page, 'the account page');
      await sessions.getByRole('button', { name: /^End session/ }).click();
      await page.getByRole('status').getByText('The session has ended.').waitFor();
      await expect.poll(() => sessions.getByRole('listitem').count()).toBe(1);
      expect((await laptop.get('/api/v1/me')).status).toBe(401);
      expect((await grace.get('/api/v1/me')).status).toBe(200);

      // Password: a wrong current one and a guessable new one are refused at their fields.
      const form = page.getByRole('form', { name: 'Password' });
      const current = form.getByLabel('Current password');
      const next = form.getByLabel('New password');
      await current.fill('not my password at all');
      await next.fill(STRONG);
      await form.getByRole('button', { name: 'Change password' }).click();
      await expectFieldError(page, current, /./);
      await current.fill(PASSWORD);
      await next.fill('grace hopper 1906');
      await form.getByRole('button', { name: 'Change password' }).click();
      await expectFieldError(page, next, /built from your name|too easy to guess/);
      expect(await current.getAttribute('aria-invalid')).toBeNull();
      await expectUsable(page, 'the account page with a refused password');
      await next.fill(STRONG);
      await form.getByRole('button', { name: 'Change password' }).click();
      await form.getByRole('status').getByText('Your password is changed').waitFor();
      expect((await grace.get('/api/v1/me')).status).toBe(200);
      await expect(server.logIn(grace.user.email)).rejects.toThrow();
      const relogged = await new Actor(server.app).post('/api/v1/auth/login', { email: grace.user.email, password: STRONG });
      expect(relogged.status).toBe(200);

      // Tokens: made with a name, a scope and an end date, shown once, copied, then deleted.
      const tokens = page.getByRole('region', { name: 'Access tokens' });
      await tokens.getByLabel('Name', { exact: true }).fill('nightly export');
      await tokens.getByRole('radio', { name: /^write/ }).check();
      await tokens.getByLabel('Expires after (days)').fill('367');
      expect(await tokens.getByRole('button', { name: 'Create token' }).isDisabled()).toBe(true);
      await tokens.getByLabel('Expires after (days)').fill('30');
      await tokens.getByRole('button', { name: 'Create token' }).click();
      const shown = tokens.getByRole('region', { name: /Token “nightly export” created/ });
      await shown.getByText('you won’t see it again').waitFor();
      const secret = await shown.getByLabel('Your new token').inputValue();
      expect(secret.length).toBeGreaterThan(20);
      await shown.getByRole('button', { name: 'Copy' }).click();
      await shown.getByRole('status').getByText('Copied to the clipboard.').waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
      await expectUsable(page, 'the account page showing a new token');
      if (viewport.name === 'desktop') await screenshot(page, 'account');

      const script = new Actor(server.app, { bearer: secret });
      expect((await script.get('/api/v1/me')).status).toBe(200);
      const listed = (await grace.get('/api/v1/me/tokens')).body;
      expect(listed.items.map((t: { name: string; scope: string }) => [t.name, t.scope])).toEqual([['nightly export', 'write']]);
      const days = (Date.parse(listed.items[0].expiresAt) - Date.now()) / 86_400_000;
      expect(Math.round(days)).toBe(30);

      await shown.getByRole('button', { name: 'I have copied it' }).click();
      await page.reload();
      const row = tokens.getByRole('list', { name: 'Access tokens' }).getByRole('listitem');
      await row.getByText('nightly export').waitFor();
      await row.getByText('write', { exact: true }).waitFor();
      await row.getByText(/Expires .* d .* h left\)/).waitFor();
      expect(await page.content()).not.toContain(secret);

      await row.getByRole('button', { name: 'Delete token nightly export' }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete the token “nightly export”?' });
      await expectUsable(page, 'the confirmation to delete a token');
      await dialog.getByRole('button', { name: 'Delete token' }).click();
      await tokens.getByRole('status').getByText('The token “nightly export” is deleted.').waitFor();
      await tokens.getByText('No tokens yet.').waitFor();
      expect((await script.get('/api/v1/me')).status).toBe(401);

      expect(errors).toEqual([]);
    });
  }

  it('the password reset form refuses a guessable password at its field', { timeout: 120_000 }, async () => {
    const { server, browser, errors } = suite;
    const lin = await server.person('Lin Wu', 'lin@survey.test');
    await lin.post('/api/v1/auth/password-reset', { email: lin.user.email });
    const page = await pageAt(browser, server, VIEWPORTS[1], errors);
    await page.goto(await server.link(lin.user.email, 'reset'));
    const field = page.getByLabel('New password', { exact: true });
    await field.fill('password1234');
    await page.getByRole('button', { name: 'Set password' }).click();
    await expectFieldError(page, field, /too easy to guess/);
    await expectUsable(page, 'the reset page with a refused password');
    await field.fill(STRONG);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('status').getByText('Your password is changed').waitFor();
    expect(errors).toEqual([]);
  });
});
