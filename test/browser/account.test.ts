import { describe, expect, it } from 'vitest';
import { browserSuite, newPage, PASSWORD } from './browser.js';

describe('the web UI: logging in and resetting a forgotten password', () => {
  const suite = browserSuite();

  it('refuses a wrong password, mails a reset link that works once, and logs in with the new password', { timeout: 120_000 }, async () => {
    const { server, browser, errors } = suite;
    await server.person('Ada Lovelace', 'ada@survey.test');
    const page = await newPage(await browser.newContext({ viewport: { width: 1280, height: 800 } }), errors);
    await page.goto(server.url);
    const form = page.getByRole('form', { name: 'Log in' });
    await form.getByLabel('E-mail').fill('ada@survey.test');
    await form.getByLabel('Password').fill('not the password');
    await form.getByRole('button', { name: 'Log in' }).click();
    await form.getByRole('alert').getByText('The e-mail or password is not right.').waitFor();

    await page.getByRole('button', { name: 'Forgot your password?' }).click();
    const reset = page.getByRole('form', { name: 'Reset your password' });
    await reset.getByLabel('E-mail').fill('ada@survey.test');
    await reset.getByRole('button', { name: 'Send reset link' }).click();
    await reset.getByRole('status').getByText('a reset link is on its way').waitFor();

    const link = await server.link('ada@survey.test', 'reset');
    await page.goto(link);
    await page.getByLabel('New password', { exact: true }).fill('a brand new password');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('status').getByText('Your password is changed').waitFor();

    // The link is used up: opening it again from the e-mail says so.
    await page.reload();
    await page.getByLabel('New password', { exact: true }).fill('yet another password');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('alert').getByText('This reset link is used, expired or unknown').waitFor();
    await page.getByRole('button', { name: 'Ask for a new link from the log-in page' }).click();

    await form.getByLabel('E-mail').fill('ada@survey.test');
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Log in' }).click();
    await form.getByRole('alert').waitFor();
    await form.getByLabel('Password').fill('a brand new password');
    await form.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'No datasets yet' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual(['Datasets']);

    await page.getByRole('button', { name: 'Log out' }).click();
    await form.waitFor();
    await page.reload();
    await form.waitFor();

    expect(errors).toEqual([]);
  });
});
