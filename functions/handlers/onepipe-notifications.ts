import { BlockList, isIPv6 } from 'node:net';
import * as z from 'zod';
import { onepipeCreditConfirmer } from '#adapters/onepipe-query.js';
import { onepipeRepository } from '#adapters/onepipe-repository.js';
import { ruleSetRepository } from '#adapters/rule-set-repository.js';
import {
  isOurRequestRef,
  ONEPIPE_ACK,
  OnepipeNotificationSchema,
  onepipeSignature,
  RequestRefSchema,
} from '#domain/onepipe/messages.js';
import {
  type NotificationDeps,
  receivedRecord,
  receiveNotification,
  refuseNotification,
} from '#domain/onepipe/notifications.js';
import { builtOnFirstCall, documentClientFor, functionConfig, notBound } from '#shared/cold-start.js';
import {
  bodyLimitConfig,
  type ConfigOf,
  configSchema,
  onepipeInboundConfig,
  onepipeOutboundConfig,
  tablesConfig,
} from '#shared/config.js';
import { ConflictError, ForbiddenError, NotConfiguredError, UnauthorizedError } from '#shared/errors.js';
import { describeFields, fieldProblems, httpHandler, json, parseJsonBody, secretsEqual } from '#shared/http.js';
import { logger } from '#shared/logger.js';
import { activeRulesFrom } from '#shared/rule-source.js';

const onepipeShape = {
  ...tablesConfig('notifications', 'mappings', 'deliveries', 'decisions', 'ruleSets'),
  ...bodyLimitConfig(),
  ...onepipeInboundConfig(),
  // Outbound too: to recognise (and refuse) our own request_refs, and to query OnePipe when confirming credits.
  ...onepipeOutboundConfig(),
};
export const OnepipeNotificationsConfigSchema = configSchema(onepipeShape);

export interface OnepipeNotificationsDeps {
  config: ConfigOf<typeof onepipeShape>;
  /** What taking a notification needs: its store (the outbox with it) and the inbound rules. */
  notifications: NotificationDeps & { store: ReturnType<typeof onepipeRepository> };
}

const RequestRef = z.looseObject({ request_ref: RequestRefSchema });

/** ONEPIPE_ALLOWED_IPS as a block list (unset: any source). */
const blockList = (ips: readonly string[] | undefined) => {
  if (!ips?.length) return undefined;
  const list = new BlockList();
  for (const entry of ips) {
    const [address = '', prefix] = entry.split('/');
    const type = isIPv6(address) ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
};

/**
 * POST /onepipe/notifications: OnePipe's Transaction Notification. Checked in this order, nothing
 * stored until the signature is good: source address, signature and Bearer key (OnePipe's inbound
 * credentials), not one of our own request_refs. Then the request_ref is burnt before the body is
 * parsed, so its signature can never be used again with another body.
 */
export const buildHandler = ({ config, notifications: deps }: OnepipeNotificationsDeps) => {
  const allowed = blockList(config.ONEPIPE_ALLOWED_IPS);
  const sourceAllowed = (ip: string) =>
    !allowed || allowed.check(ip.replace(/^::ffff:/, ''), isIPv6(ip.replace(/^::ffff:/, '')) ? 'ipv6' : 'ipv4');
  return httpHandler(
    {
      // OnePipe's envelope has a message only: a refused field's reason goes in it.
      errorBody: ({ error }) => ({
        status: 'Failed',
        message: error.fields?.length ? `Invalid fields: ${describeFields(error.fields)}` : error.message,
      }),
    },
    async ({ event, raw }) => {
      const secret = config.ONEPIPE_CLIENT_SECRET;
      if (!secret) throw new NotConfiguredError('OnePipe notifications are not configured (ONEPIPE_CLIENT_SECRET)');
      if (!sourceAllowed(event.requestContext.http.sourceIp)) throw new ForbiddenError('Source address not allowed');
      const { request_ref: requestRef } = parseJsonBody(raw, RequestRef, config.MAX_BODY_BYTES);
      const signature = (event.headers.signature ?? '').trim().toLowerCase();
      const bearer = config.ONEPIPE_API_KEY ? `Bearer ${config.ONEPIPE_API_KEY}` : undefined;
      if (
        !secretsEqual(signature, onepipeSignature(requestRef, secret)) ||
        (bearer && !secretsEqual(event.headers.authorization ?? '', bearer))
      ) {
        throw new UnauthorizedError('Invalid signature or authorization');
      }
      if (isOurRequestRef(requestRef, config.ONEPIPE_OUTBOUND_CLIENT_SECRET)) {
        logger.warn('a request_ref we issued came back as a notification; refused', { requestRef });
        throw new UnauthorizedError('This request_ref was issued by us, not by OnePipe');
      }
      logger.appendKeys({ requestRef });
      const received = receivedRecord(requestRef, raw, new Date());
      const burnt = await deps.store.burn(received);
      if (burnt.outcome === 'seen') {
        if (burnt.record.bodySha256 !== received.bodySha256)
          throw new ConflictError('This request_ref was already used');
        // The same message again: answered the same; a crashed first attempt (still RECEIVED) is finished now.
        if (burnt.record.state !== 'RECEIVED') return json(200, ONEPIPE_ACK);
      }
      const parsed = OnepipeNotificationSchema.safeParse(JSON.parse(raw));
      if (!parsed.success) {
        const why = describeFields(fieldProblems(parsed.error));
        await refuseNotification(burnt.outcome === 'seen' ? burnt.record : received, why, deps.store);
        logger.warn('signed onepipe notification refused by the schema; parked for a person', { why });
        return json(200, ONEPIPE_ACK);
      }
      const result = await receiveNotification(parsed.data, burnt.outcome === 'seen' ? burnt.record : received, deps);
      logger.info('onepipe notification', { ...result, requestType: parsed.data.request_type });
      return json(200, ONEPIPE_ACK);
    },
  );
};

export const handler = builtOnFirstCall(async () => {
  const config = await functionConfig(OnepipeNotificationsConfigSchema);
  const documentClient = documentClientFor(config);
  return buildHandler({
    config,
    notifications: {
      store: onepipeRepository(documentClient, {
        notifications: config.NOTIFICATIONS_TABLE,
        mappings: config.MAPPINGS_TABLE,
        deliveries: config.DELIVERIES_TABLE,
        decisions: config.DECISIONS_TABLE,
        // Mapping history is the admin function's.
        history: notBound('history'),
      }),
      inboundRules: activeRulesFrom(ruleSetRepository(documentClient, config.RULE_SETS_TABLE), 'inbound', {
        file: config.INBOUND_RULES_FILE,
        refreshSeconds: config.RULES_REFRESH_SECONDS,
      }),
      settings: { currency: config.ONEPIPE_CURRENCY, balance: config.TOQIO_INBOUND_BALANCE },
      ...(config.ONEPIPE_CONFIRM_CREDITS && config.ONEPIPE_OUTBOUND_API_KEY && config.ONEPIPE_OUTBOUND_CLIENT_SECRET
        ? {
            confirmCredit: onepipeCreditConfirmer({
              url: config.ONEPIPE_QUERY_URL,
              apiKey: config.ONEPIPE_OUTBOUND_API_KEY,
              clientSecret: config.ONEPIPE_OUTBOUND_CLIENT_SECRET,
              timeoutMs: 4000,
            }),
          }
        : {}),
    },
  });
});
