import pino from 'pino';
import { startTessera } from '../src/app.js';
import type { Config } from '../src/config.js';
import type { Mailer, MailMessage } from '../src/mail/mailer.js';
import { smtpMailer } from '../src/mail/mailer.js';
import type { BenchDatabase } from './seed.js';

/** Mail goes to the SMTP sink only while a measurement wants it; otherwise it is dropped. */
export class SwitchMailer implements Mailer {
  private target: Mailer | null = null;

  deliverTo(smtpUrl: string | null): void {
    this.target?.close();
    this.target = smtpUrl ? smtpMailer(smtpUrl, 'Tessera <bench@tessera.test>') : null;
  }

  async send(message: MailMessage): Promise<void> {
    await this.target?.send(message);
  }

  close(): void {
    this.target?.close();
  }
}

/**
 * Tessera in the bench process itself (instance A): its use cases are called directly, as the
 * routes call them. Instance B is the server process under load.
 */
export async function startInstance(database: BenchDatabase) {
  const config: Config = {
    port: 0,
    host: '127.0.0.1',
    dataDir: database.dataDir,
    database: database.config,
    publicUrl: new URL('http://127.0.0.1'),
    smtpUrl: undefined,
    mailFrom: 'Tessera <bench@tessera.test>',
    logLevel: 'warn',
    maxUploadBytes: 10 * 1024 * 1024,
    signup: 'open',
    ipLimits: false,
  };
  const mailer = new SwitchMailer();
  const tessera = await startTessera(config, pino({ level: 'warn' }), { mailer, delivery: { retryDelaysMs: [50] } });
  return { ...tessera, mailer };
}

export type Instance = Awaited<ReturnType<typeof startInstance>>;
