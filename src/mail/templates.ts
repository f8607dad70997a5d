import type { MailMessage } from './mailer.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const LEVEL_MEANING: Record<string, string> = {
  read: 'view the dataset, its items and annotations',
  annotate: 'view it and add, edit and delete annotations',
  write: 'view, annotate, upload items and edit the dataset',
  admin: 'do everything, including sharing it with others',
};

interface Layout {
  to: string;
  subject: string;
  lines: string[];
  button?: { label: string; url: string };
  footer: string;
}

function compose({ to, subject, lines, button, footer }: Layout): MailMessage {
  const text = [...lines, '', ...(button ? [`${button.label}: ${button.url}`, ''] : []), footer].join('\n');
  const paragraphs = lines.map((line) => `<p style="margin:0 0 12px">${escapeHtml(line)}</p>`).join('');
  const action = button
    ? `<p style="margin:20px 0"><a href="${escapeHtml(button.url)}" style="background:#2f5bea;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none;font-weight:600">${escapeHtml(button.label)}</a></p><p style="margin:0 0 12px;font-size:12px;color:#555">Or paste this link into your browser: ${escapeHtml(button.url)}</p>`
    : '';
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#1b1f24;max-width:560px;margin:24px auto;line-height:1.5">${paragraphs}${action}<p style="margin:24px 0 0;font-size:12px;color:#666">${escapeHtml(footer)}</p></body></html>`;
  return { to, subject, text, html };
}

export interface DatasetInvitationMail {
  to: string;
  inviterName: string;
  datasetName: string;
  orgName: string;
  level: string;
  link: string;
  expiresAt: number;
}

export function datasetInvitationMail(m: DatasetInvitationMail): MailMessage {
  return compose({
    to: m.to,
    subject: `${m.inviterName} shared “${m.datasetName}” with you`,
    lines: [
      `${m.inviterName} shared the dataset “${m.datasetName}” (${m.orgName}) with you on Tessera.`,
      `Your access level is ${m.level}: you can ${LEVEL_MEANING[m.level] ?? m.level}.`,
      `Log in or sign up as ${m.to} to open it. This link expires on ${formatTime(m.expiresAt)}.`,
    ],
    button: { label: 'Accept invitation', url: m.link },
    footer: 'If you did not expect this, you can ignore this e-mail or decline the invitation from the link.',
  });
}

export interface OrgInvitationMail {
  to: string;
  inviterName: string;
  orgName: string;
  role: string;
  link: string;
  expiresAt: number;
}

export function orgInvitationMail(m: OrgInvitationMail): MailMessage {
  return compose({
    to: m.to,
    subject: `${m.inviterName} invited you to join ${m.orgName} on Tessera`,
    lines: [
      `${m.inviterName} invited you to join the organization ${m.orgName} on Tessera as ${m.role === 'admin' ? 'an admin' : 'a member'}.`,
      `Log in or sign up as ${m.to} to accept. This link expires on ${formatTime(m.expiresAt)}.`,
    ],
    button: { label: 'Join the organization', url: m.link },
    footer: 'If you did not expect this, you can ignore this e-mail.',
  });
}

export interface GrantNotificationMail {
  to: string;
  granterName: string;
  datasetName: string;
  orgName: string;
  level: string;
  link: string;
  expiresAt: number | null;
}

export function grantNotificationMail(m: GrantNotificationMail): MailMessage {
  return compose({
    to: m.to,
    subject: `${m.granterName} gave you ${m.level} access to “${m.datasetName}”`,
    lines: [
      `${m.granterName} gave you ${m.level} access to the dataset “${m.datasetName}” (${m.orgName}) on Tessera.`,
      `You can ${LEVEL_MEANING[m.level] ?? m.level}.`,
      ...(m.expiresAt === null ? [] : [`This access ends on ${formatTime(m.expiresAt)}.`]),
    ],
    button: { label: 'Open the dataset', url: m.link },
    footer: 'You receive this because someone shared a dataset with your Tessera account.',
  });
}

export interface InvitationExtendedMail {
  to: string;
  extenderName: string;
  /** The dataset's name, or null for an invitation to join the organization. */
  datasetName: string | null;
  orgName: string;
  expiresAt: number;
}

/** Tells the invitee the new end date; the link of the earlier e-mail still works (only its hash is kept). */
export function invitationExtendedMail(m: InvitationExtendedMail): MailMessage {
  const target = m.datasetName === null ? `to join ${m.orgName}` : `to the dataset “${m.datasetName}” (${m.orgName})`;
  return compose({
    to: m.to,
    subject: `Your Tessera invitation ${m.datasetName === null ? `to ${m.orgName}` : `to “${m.datasetName}”`} now ends on ${formatTime(m.expiresAt)}`,
    lines: [
      `${m.extenderName} gave you more time to accept the invitation ${target} on Tessera.`,
      `It now expires on ${formatTime(m.expiresAt)}. Use the link in the invitation e-mail you received earlier.`,
    ],
    footer: 'If you did not expect this, you can ignore this e-mail.',
  });
}

export function passwordResetMail(to: string, link: string, expiresAt: number): MailMessage {
  return compose({
    to,
    subject: 'Reset your Tessera password',
    lines: [
      'Someone asked to reset the password of your Tessera account.',
      `The link works once, until ${formatTime(expiresAt)}. Setting a new password logs you out everywhere else.`,
    ],
    button: { label: 'Choose a new password', url: link },
    footer: 'If this was not you, ignore this e-mail: your password stays as it is.',
  });
}

export function verificationMail(to: string, link: string, expiresAt: number): MailMessage {
  return compose({
    to,
    subject: 'Confirm your e-mail address for Tessera',
    lines: [
      'Confirm that this address belongs to your Tessera account.',
      `Open the link and log in as ${to}. It works once, until ${formatTime(expiresAt)}.`,
    ],
    button: { label: 'Confirm my address', url: link },
    footer: 'If you did not sign up for Tessera, ignore this e-mail: the account stays unconfirmed.',
  });
}

export interface WebhookDisabledMail {
  to: string;
  orgName: string;
  url: string;
  failingSince: number;
}

export function webhookDisabledMail(m: WebhookDisabledMail): MailMessage {
  return compose({
    to: m.to,
    subject: `A webhook of ${m.orgName} was disabled`,
    lines: [
      `The webhook ${m.url} of ${m.orgName} has failed every delivery since ${formatTime(m.failingSince)}, so Tessera disabled it.`,
      'Events are no longer sent to it. Fix the receiver, then register it again in the organization settings.',
    ],
    footer: 'You receive this because you are an admin of the organization.',
  });
}
