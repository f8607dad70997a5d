import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** One interface for every way mail leaves Tessera. `send` rejects when the message did not leave. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export function smtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(message) {
      await transport.sendMail({ from, ...message });
    },
    close: () => transport.close(),
  };
}

/**
 * The dev outbox: each message becomes an .eml file under DATA_DIR/outbox/, whose path is
 * logged so a newcomer without an SMTP server can open it and follow an invitation.
 */
export function outboxMailer(dataDir: string, from: string, logger: Logger): Mailer {
  const dir = path.join(dataDir, 'outbox');
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  let sequence = 0;
  return {
    async send(message) {
      const info = await transport.sendMail({ from, ...message });
      await fs.mkdir(dir, { recursive: true });
      sequence += 1;
      const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${sequence}.eml`);
      await fs.writeFile(file, info.message as Buffer);
      // Only the file's path: the links in a mail are secrets and never reach a log.
      logger.info({ to: message.to, subject: message.subject, file }, 'mail written to the dev outbox');
    },
    close: () => transport.close(),
  };
}
