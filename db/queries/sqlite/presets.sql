-- name: CreatePreset :exec
INSERT INTO presets (
    id, user_id, mode, name, platforms, primary_platform, cross_link_enabled,
    cross_link_template, is_default, created_at, updated_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: GetPreset :one
SELECT * FROM presets WHERE id = ? AND user_id = ? AND mode = ?;

-- name: ListPresets :many
SELECT * FROM presets WHERE user_id = ? AND mode = ? ORDER BY id;

-- name: UpdatePreset :execrows
UPDATE presets SET
    name = ?, platforms = ?, primary_platform = ?, cross_link_enabled = ?,
    cross_link_template = ?, is_default = ?, updated_at = ?
WHERE id = ? AND user_id = ? AND mode = ?;

-- name: DeletePreset :execrows
DELETE FROM presets WHERE id = ? AND user_id = ? AND mode = ?;

-- name: ClearDefaultPreset :exec
UPDATE presets SET is_default = 0, updated_at = ?
WHERE user_id = ? AND mode = ? AND is_default = 1;
