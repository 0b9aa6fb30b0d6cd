-- The server instances running the publishing queue, and when each last showed it was
-- alive (db/queue/liveness.go). An instance renews its row every few seconds; the jobs
-- left running by an instance that stopped renewing are handed back to the queue.
--
-- id is the instance's River client id, which River records in river_job.attempted_by;
-- name is the operator's stable name for the instance (OCTOPOST_INSTANCE_ID), shared by
-- its successive processes. Times are milliseconds since the Unix epoch, compared as
-- numbers.
CREATE TABLE queue_instances (
    id           TEXT NOT NULL PRIMARY KEY,
    name         TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
) STRICT;
