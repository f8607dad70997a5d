import type { Logger } from 'pino';
import type { Mailer, MailMessage } from './mailer.js';

export interface DeliveryOutcome {
  onSent(): Promise<void>;
  onAttemptFailed(error: string, final: boolean): Promise<void>;
}

export interface DeliveryOptions {
  /** Delay before retry n (1-based); the default backs off 2 s, 8 s, 32 s, 2 min, 8 min. */
  retryDelaysMs: number[];
}

export const DEFAULT_RETRY_DELAYS_MS = [2_000, 8_000, 32_000, 128_000, 512_000];

/**
 * Sends mail in the background with back-off, so a slow or failing SMTP server never
 * fails the request that caused the mail. Outcomes are reported through callbacks
 * (an invitation records them as its `delivery` status).
 */
export class Delivery {
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly mailer: Mailer,
    private readonly logger: Logger,
    private readonly options: DeliveryOptions = { retryDelaysMs: DEFAULT_RETRY_DELAYS_MS },
  ) {}

  enqueue(message: MailMessage, outcome?: DeliveryOutcome): void {
    const job = this.run(message, outcome).finally(() => this.inFlight.delete(job));
    this.inFlight.add(job);
  }

  private async run(message: MailMessage, outcome?: DeliveryOutcome): Promise<void> {
    const delays = this.options.retryDelaysMs;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.mailer.send(message);
        await outcome?.onSent();
        return;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        const final = attempt >= delays.length || this.closed;
        this.logger.warn({ to: message.to, attempt: attempt + 1, final, reason }, 'mail delivery failed');
        await outcome?.onAttemptFailed(reason.slice(0, 500), final).catch((e: unknown) => {
          this.logger.error({ err: e }, 'could not record a delivery failure');
        });
        if (final) return;
        await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
      }
    }
  }

  /** Waits for every message under way (tests, graceful shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  close(): void {
    this.closed = true;
  }
}
