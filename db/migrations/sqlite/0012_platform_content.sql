-- A post's platform_content: a JSON object keyed by platform, each entry the text and/or
-- media that platform gets instead of the post's own ({"content": "…", "media": {…}}, a
-- field left out being the post's). {} for a post without any; nothing queries into it.

ALTER TABLE posts ADD COLUMN platform_content TEXT NOT NULL DEFAULT '{}';
