-- Webhook delivery: one row per event and endpoint, the delivery log that
-- GET /v1/webhooks/{id}/deliveries shows. A delivery is created, with its job, in the same
-- transaction as the event it carries, so nothing is lost when the server dies after the
-- change and nothing is sent for a change that rolled back.
CREATE TABLE webhook_deliveries (
    id               text COLLATE "C" PRIMARY KEY,
    webhook_id       text COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    user_id          text COLLATE "C" NOT NULL,
    mode             text NOT NULL CHECK (mode IN ('live', 'test')),
    event_id         text COLLATE "C" NOT NULL REFERENCES events (id),
    event_type       text NOT NULL,
    state            text NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL,
    last_status_code integer,          -- NULL before the first answer, 0 for none
    last_error       text,
    last_attempt_at  timestamptz,
    next_attempt_at  timestamptz,      -- NULL once delivered or failed for good
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);

CREATE INDEX webhook_deliveries_webhook_id ON webhook_deliveries (webhook_id, id);

-- consecutive_failures counts the endpoint's deliveries that failed for good since the
-- last one delivered; at service.WebhookFailureLimit the endpoint is disabled.
ALTER TABLE webhooks ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0;
