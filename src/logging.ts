import pino, { type Logger } from 'pino';

/**
 * Secrets travel in a query string only on the invitation lookup and in the provider's redirect
 * back from single sign-on (its authorization code); keep them out of the logs.
 */
export function redactedUrl(url: string): string {
  return url.replace(/([?&](?:token|inviteToken|code)=)[^&#]*/gi, '$1[redacted]');
}

/** pino, with request logs that never carry passwords, cookies, tokens or invitation secrets. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.token'],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: { method: string; url: string; id?: string; ip?: string }) => ({
          id: req.id,
          method: req.method,
          url: redactedUrl(req.url),
          ip: req.ip,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
    destination,
  );
}
