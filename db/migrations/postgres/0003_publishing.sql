-- The publishing engine's records.

-- generation counts the changes to a post's publishing plan (scheduled, rescheduled,
-- unscheduled, publishing started). A job carries the generation it was enqueued for and
-- does nothing once the post has moved on, so a stale job never publishes.
ALTER TABLE posts ADD COLUMN generation bigint NOT NULL DEFAULT 0;

-- One row per post, platform and segment (0 is the post's own content, n its n-th thread
-- segment): the durable record, written before and after each call to the platform, that
-- keeps a post from going out twice when a server dies mid-call or two servers race.
CREATE TABLE publish_attempts (
    post_id         text COLLATE "C" NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    platform        text NOT NULL,
    segment         integer NOT NULL CHECK (segment >= 0),
    user_id         text COLLATE "C" NOT NULL,
    mode            text NOT NULL CHECK (mode IN ('live', 'test')),
    state           text NOT NULL CHECK (state IN ('pending', 'in_flight', 'done', 'failed')),
    idempotency_key text NOT NULL,
    owner           text NOT NULL, -- the job that moved it to in_flight; '' before
    tries           integer NOT NULL,
    ref_id          text NOT NULL, -- the platform's id of the published post; '' until done
    ref_url         text NOT NULL,
    ref_cid         text NOT NULL,
    error           text NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (post_id, platform, segment)
);
