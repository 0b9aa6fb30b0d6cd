-- Webhook delivery: one row per event and endpoint, the delivery log that
-- GET /v1/webhooks/{id}/deliveries shows. A delivery is created, with its job, in the same
-- transaction as the event it carries, so nothing is lost when the server dies after the
-- change and nothing is sent for a change that rolled back.
CREATE TABLE webhook_deliveries (
    id               TEXT NOT NULL PRIMARY KEY,
    webhook_id       TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL,
    mode             TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    event_id         TEXT NOT NULL REFERENCES events (id),
    event_type       TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL,
    last_status_code INTEGER,          -- NULL before the first answer, 0 for none
    last_error       TEXT,
    last_attempt_at  TEXT,
    next_attempt_at  TEXT,             -- NULL once delivered or failed for good
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
) STRICT;

CREATE INDEX webhook_deliveries_webhook_id ON webhook_deliveries (webhook_id, id);

-- consecutive_failures counts the endpoint's deliveries that failed for good since the
-- last one delivered; at service.WebhookFailureLimit the endpoint is disabled.
ALTER TABLE webhooks ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
