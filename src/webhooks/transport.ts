import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { allowedAddresses, hostOf, isRefusedAddress, WebhookUrlRefused } from './address.js';
import type { WebhookSettings } from './settings.js';

export interface WebhookRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

/** What came of one attempt: the answer's status (null when none came) and the reason in words when it failed. */
export interface WebhookOutcome {
  ok: boolean;
  status: number | null;
  reason: string | null;
}

/**
 * The agent's `lookup`: resolves through the configured resolver and refuses internal addresses
 * at connect time, so a name re-pointed after registration (DNS rebinding) cannot reach the inside.
 */
function guardedLookup(settings: WebhookSettings): LookupFunction {
  return (hostname, options, callback) => {
    allowedAddresses(hostname, settings).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
        if (options.all) (callback as unknown as (e: null, a: typeof addresses) => void)(null, wanted);
        else if (wanted[0]) callback(null, wanted[0].address, wanted[0].family);
        else callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }), '', 0);
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}

/** POSTs one delivery: redirects are not followed (a 3xx fails), the answer must come within the timeout. */
export async function postWebhook(request: WebhookRequest, settings: WebhookSettings): Promise<WebhookOutcome> {
  const notAllowed: WebhookOutcome = { ok: false, status: null, reason: 'the address is not allowed' };
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return notAllowed;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && settings.allowPrivate)) return notAllowed;
  // An address literal never goes through `lookup`: it is checked here.
  const host = hostOf(url);
  if (isIP(host) !== 0 && !settings.allowPrivate && isRefusedAddress(host)) return notAllowed;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: WebhookOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(outcome);
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Tessera-Webhooks', ...request.headers },
        lookup: guardedLookup(settings),
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? null;
        res.resume();
        res.on('error', () => undefined);
        const ok = status !== null && status >= 200 && status < 300;
        finish({
          ok,
          status,
          reason: ok
            ? null
            : status !== null && status >= 300 && status < 400
              ? `redirected (${status}), not followed`
              : `answered ${status}`,
        });
      },
    );
    // The whole exchange, connection included, has the timeout.
    const deadline = setTimeout(() => {
      req.destroy();
      finish({ ok: false, status: null, reason: 'no answer within the timeout' });
    }, request.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      const refused = error instanceof WebhookUrlRefused;
      finish({
        ok: false,
        status: null,
        reason: refused
          ? 'the address is not allowed'
          : error.code === 'ENOTFOUND'
            ? 'the host name could not be resolved'
            : 'the endpoint could not be reached',
      });
    });
    req.end(request.body);
  });
}
