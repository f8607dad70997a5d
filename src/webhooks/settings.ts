import { promises as dns } from 'node:dns';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to all its addresses; injected so tests never ask real DNS. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

export interface WebhookSettings {
  /** WEBHOOK_ALLOW_PRIVATE: loopback and private addresses (and http://) are allowed. */
  allowPrivate: boolean;
  resolve: Resolver;
}
