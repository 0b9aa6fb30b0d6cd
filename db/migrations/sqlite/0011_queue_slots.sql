-- The queue's fired slots (service/queue_fire.go): one row per slot of a user's queue in a
-- mode that has published a post, written in the transaction that takes the post out of the
-- queue. The primary key is what makes a slot publish at most one post, however many
-- instances sweep it at once. Rows older than 8 days (the furthest a sweep looks back) are
-- deleted by the sweep.
CREATE TABLE queue_slots (
    user_id    TEXT NOT NULL REFERENCES users (id),
    mode       TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    slot_at    TEXT NOT NULL,   -- the slot's time, UTC
    post_id    TEXT NOT NULL,   -- the post it published (not a reference: the post may be deleted since)
    PRIMARY KEY (user_id, mode, slot_at)
) STRICT;

CREATE INDEX queue_slots_slot_at ON queue_slots (slot_at);

-- The scopes with an approved queued post, which every sweep lists: only queued posts are
-- in this index, so listing them costs the queued posts, not the table.
CREATE INDEX posts_queued_scopes ON posts (user_id, mode) WHERE queue_state = 'queued';
