-- The publishing engine's records.

-- generation counts the changes to a post's publishing plan (scheduled, rescheduled,
-- unscheduled, publishing started). A job carries the generation it was enqueued for and
-- does nothing once the post has moved on, so a stale job never publishes.
ALTER TABLE posts ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;

-- One row per post, platform and segment (0 is the post's own content, n its n-th thread
-- segment): the durable record, written before and after each call to the platform, that
-- keeps a post from going out twice when a server dies mid-call or two servers race.
CREATE TABLE publish_attempts (
    post_id         TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    platform        TEXT NOT NULL,
    segment         INTEGER NOT NULL CHECK (segment >= 0),
    user_id         TEXT NOT NULL,
    mode            TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    state           TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'done', 'failed')),
    idempotency_key TEXT NOT NULL,
    owner           TEXT NOT NULL, -- the job that moved it to in_flight; '' before
    tries           INTEGER NOT NULL,
    ref_id          TEXT NOT NULL, -- the platform's id of the published post; '' until done
    ref_url         TEXT NOT NULL,
    ref_cid         TEXT NOT NULL,
    error           TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (post_id, platform, segment)
) STRICT;
