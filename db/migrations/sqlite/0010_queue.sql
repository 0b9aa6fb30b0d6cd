-- The queue (service/queue.go): a user's active hours per mode, and the posts waiting in it.

-- One row per user and mode that has set its queue settings; a scope without a row has the
-- documented defaults (service.DefaultQueueSettings), which are not stored, so changing the
-- defaults changes them for everyone who never chose.
CREATE TABLE queue_settings (
    user_id          TEXT NOT NULL REFERENCES users (id),
    mode             TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    timezone         TEXT NOT NULL, -- an IANA name
    active_hours     TEXT NOT NULL, -- JSON {"sunday": [[start, end], …], …}: minutes since local midnight
    interval_minutes INTEGER NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (user_id, mode)
) STRICT;

-- queue_state: '' for a post outside the queue, 'queued' (approved, waiting for its slot) or
-- 'pending' (waiting for approval). queued_at is when the post entered the queue, kept while
-- it is pending, so that approval puts it back at its place; the queue's order is
-- (queued_at, id). NULL outside the queue.
ALTER TABLE posts ADD COLUMN queue_state TEXT NOT NULL DEFAULT '' CHECK (queue_state IN ('', 'queued', 'pending'));
ALTER TABLE posts ADD COLUMN queued_at TEXT;

-- The queue in order (ListQueue), and its length (CountQueue), in one range each.
CREATE INDEX posts_scope_queue ON posts (user_id, mode, queue_state, queued_at, id);
