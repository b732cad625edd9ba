import { Webhook } from "standardwebhooks";
import type { ChatMessage } from "../chat/message.ts";
import { type EventType, eventTypeOf } from "./endpoints.ts";

/** What an endpoint receives: the Standard Webhooks payload shape (`type`, `timestamp`, `data`). */
export interface WebhookPayload {
  type: EventType;
  timestamp: string;
  data: ChatMessage;
}

/**
 * The event's id, the same on every attempt and every node (receivers dedupe on it): the stored
 * row's own id, which never changes (a change event, an edit say, has an id of its own).
 */
export const webhookId = (message: ChatMessage): string => `msg_${message.id}`;

/** The body and the three Standard Webhooks headers for `message`, signed with the endpoint's secret at `now`. */
export const signedDelivery = (
  secret: string,
  message: ChatMessage,
  now: number,
): { body: string; headers: Record<string, string> } => {
  const payload: WebhookPayload = { type: eventTypeOf(message), timestamp: new Date(now).toISOString(), data: message };
  const body = JSON.stringify(payload);
  const id = webhookId(message);
  const at = new Date(now);
  return {
    body,
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now / 1000)),
      "webhook-signature": new Webhook(secret).sign(id, at, body),
    },
  };
};
