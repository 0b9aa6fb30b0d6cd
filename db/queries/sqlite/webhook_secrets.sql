-- Sealing at start the webhook secrets written before they were sealed (service/webhooks.go).

-- name: ListUnsealedWebhookSecrets :many
-- One batch: the next webhooks after a cursor, of every scope, in id order (the primary
-- key), whose secret or previous secret does not start with the sealed prefix.
SELECT id, secret, previous_secret FROM webhooks
WHERE id > sqlc.arg(after_id)
  AND (substr(secret, 1, length(CAST(sqlc.arg(prefix) AS TEXT))) <> sqlc.arg(prefix)
       OR substr(previous_secret, 1, length(sqlc.arg(prefix))) <> sqlc.arg(prefix))
ORDER BY id
LIMIT sqlc.arg(batch);

-- name: ReplaceWebhookSecrets :execrows
-- A compare-and-set: only while the secrets are still the ones read, so that a rotation
-- or another instance's sealing in between is never overwritten.
UPDATE webhooks SET secret = sqlc.arg(secret), previous_secret = sqlc.narg(previous_secret)
WHERE id = sqlc.arg(id)
  AND secret = sqlc.arg(old_secret)
  AND previous_secret IS sqlc.narg(old_previous_secret);
