import { z } from 'zod';
import { OnepipeNotificationSchema, onepipeSignature } from '#domain/onepipe.js';
import { receiveNotification } from '#domain/onepipe-notifications.js';
import { NotConfiguredError, UnauthorizedError } from '#shared/errors.js';
import { httpHandler, json, parseJsonBody, secretsEqual } from '#shared/http.js';
import { logger } from '#shared/logger.js';
import { wiring } from '#shared/wiring.js';

const deps = await wiring();
const { config } = deps;
const RequestRef = z.looseObject({ request_ref: z.string({ error: 'is required' }).trim().min(1) });

/** POST /onepipe/notifications: OnePipe's Transaction Notification (credits, debits, lifecycle events). */
export const handler = httpHandler(
  { errorBody: ({ error }) => ({ status: 'Failed', message: error.message }) },
  async ({ event, raw }) => {
    const secret = config.ONEPIPE_CLIENT_SECRET;
    if (!secret) throw new NotConfiguredError('OnePipe notifications are not configured (ONEPIPE_CLIENT_SECRET)');
    const { request_ref: requestRef } = parseJsonBody(raw, RequestRef, config.MAX_BODY_BYTES);
    const signature = (event.headers.signature ?? '').trim().toLowerCase();
    const bearer = config.ONEPIPE_API_KEY ? `Bearer ${config.ONEPIPE_API_KEY}` : undefined;
    if (
      !secretsEqual(signature, onepipeSignature(requestRef, secret)) ||
      (bearer && !secretsEqual(event.headers.authorization ?? '', bearer))
    ) {
      throw new UnauthorizedError('Invalid signature or authorization');
    }
    const notification = parseJsonBody(raw, OnepipeNotificationSchema, config.MAX_BODY_BYTES);
    logger.appendKeys({ requestRef });
    const result = await receiveNotification(notification, raw, deps.notificationDeps);
    logger.info('onepipe notification', { ...result, requestType: notification.request_type });
    return json(200, { status: 'Successful', message: 'Transaction notification received' });
  },
);
