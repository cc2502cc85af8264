// domain/scim/dialects/ping.ts: PingFederate SCIM Provisioner and PingOne outbound provisioning.
import type { Dialect } from './dialect';

/**
 * PingFederate updates users with full PUTs and patches groups with RFC bodies
 * (pingfederate-01-put-updates-and-group-scan.json). Its real User-Agent is a bare `Apache-HttpClient/x`
 * [R S26, U], which is not mapped; only a UA naming the product is.
 */
export const ping: Dialect = {
  name: 'ping',
  userAgent: /\bping(federate|one|identity)\b/i,
  rewriteValue: (_target, value) => value,
};
