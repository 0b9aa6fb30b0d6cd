-- name: RegisterQueueInstance :exec
-- RegisterQueueInstance adds the instance, or renews it if it is already there.
INSERT INTO queue_instances (id, name, started_at, heartbeat_at)
VALUES (@id, @name, @started_at, @heartbeat_at)
ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at;

-- name: RenewQueueInstance :execrows
-- RenewQueueInstance changes no row if the instance was declared dead and removed.
UPDATE queue_instances SET heartbeat_at = @heartbeat_at WHERE id = @id;

-- name: ListDeadQueueInstances :many
-- ListDeadQueueInstances lists the other instances that stopped renewing before
-- dead_before, and those of the same name (earlier processes of this instance) that
-- stopped before own_dead_before.
SELECT id, name, heartbeat_at FROM queue_instances
WHERE id <> @self
  AND (heartbeat_at < @dead_before OR (name = @name AND heartbeat_at < @own_dead_before))
ORDER BY heartbeat_at, id;

-- name: RemoveQueueInstance :execrows
-- RemoveQueueInstance is a compare-and-set: it removes the row only while its heartbeat
-- is the one the caller saw, so of an instance renewing and another declaring it dead,
-- one wins.
DELETE FROM queue_instances WHERE id = @id AND heartbeat_at = @heartbeat_at;
