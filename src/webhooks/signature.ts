import { createHmac } from 'node:crypto';

/** `Tessera-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, one v1 per secret in force. */
export function signatureHeader(body: string, secrets: string[], nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  const signatures = secrets.map((secret) => `v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`);
  return [`t=${t}`, ...signatures].join(',');
}
