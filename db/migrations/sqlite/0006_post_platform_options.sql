-- A post's platform_options: a JSON object keyed by platform, each entry the options the
-- caller gave for that platform (Mastodon's visibility, TikTok's privacy level, …), kept as
-- given and handed to the platform's adapter at publish. NULL for a post without options.

ALTER TABLE posts ADD COLUMN platform_options TEXT;
