-- name: CreatePreset :exec
INSERT INTO presets (
    id, user_id, mode, name, platforms, primary_platform, cross_link_enabled,
    cross_link_template, is_default, created_at, updated_at
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11);

-- name: GetPreset :one
SELECT * FROM presets WHERE id = $1 AND user_id = $2 AND mode = $3;

-- name: ListPresets :many
SELECT * FROM presets WHERE user_id = $1 AND mode = $2 ORDER BY id;

-- name: UpdatePreset :execrows
UPDATE presets SET
    name = $4, platforms = $5, primary_platform = $6, cross_link_enabled = $7,
    cross_link_template = $8, is_default = $9, updated_at = $10
WHERE id = $1 AND user_id = $2 AND mode = $3;

-- name: DeletePreset :execrows
DELETE FROM presets WHERE id = $1 AND user_id = $2 AND mode = $3;

-- name: ClearDefaultPreset :exec
UPDATE presets SET is_default = false, updated_at = $3
WHERE user_id = $1 AND mode = $2 AND is_default;
