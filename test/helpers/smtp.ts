import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  raw: string;
}

/** A real SMTP server in the test process: Tessera delivers to it over TCP through nodemailer. */
export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  /** While true, every message is refused with a temporary failure. */
  failing = false;
  /** How many of the next messages are refused with a temporary failure (while `failing` is false). */
  refuseNext = 0;
  /** How long the server takes to answer each message's DATA: a slow conversation. */
  delayMs = 0;
  /** How many messages' DATA has begun: conversations under way or done. */
  dataStarted = 0;
  private waiters: (() => void)[] = [];
  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(port = 0): Promise<SmtpSink> {
    let sink!: SmtpSink;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        sink.dataStarted += 1;
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', async () => {
          if (sink.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, sink.delayMs));
          if (sink.failing || sink.refuseNext > 0) {
            if (!sink.failing) sink.refuseNext -= 1;
            callback(Object.assign(new Error('Mailbox temporarily unavailable'), { responseCode: 451 }));
            return;
          }
          const raw = Buffer.concat(chunks).toString('utf8');
          simpleParser(raw).then((mail: ParsedMail) => {
            const to = Array.isArray(mail.to) ? mail.to[0]?.text : mail.to?.text;
            sink.messages.push({
              to: to ?? '',
              from: mail.from?.text ?? '',
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              html: typeof mail.html === 'string' ? mail.html : '',
              raw,
            });
            for (const w of sink.waiters.splice(0)) w();
            callback();
          }, callback);
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    sink = new SmtpSink(server, (server.server.address() as AddressInfo).port);
    return sink;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Waits until a message matching `match` has arrived (5 s at most). */
  async waitFor(match: (m: ReceivedMail) => boolean, timeoutMs = 5_000): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`No matching mail within ${timeoutMs} ms; got: ${this.messages.map((m) => `${m.to}: ${m.subject}`).join('; ')}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  to(address: string): ReceivedMail[] {
    return this.messages.filter((m) => m.to.toLowerCase().includes(address.toLowerCase()));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The secret of the first invitation or reset link in a mail's text. */
export function linkToken(mail: ReceivedMail, kind: 'invite' | 'reset' | 'verify' = 'invite'): string {
  const match = new RegExp(`/${kind}#token=([A-Za-z0-9_-]+)`).exec(mail.text);
  if (!match) throw new Error(`No ${kind} link in: ${mail.text}`);
  return match[1]!;
}
