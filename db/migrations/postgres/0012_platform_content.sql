-- A post's platform_content: a JSON object keyed by platform, each entry the text and/or
-- media that platform gets instead of the post's own ({"content": "…", "media": {…}}, a
-- field left out being the post's). '{}' for a post without any; nothing queries into it.
-- jsonb like media and segments: the stores decode it into the same structure whatever
-- order the keys come back in. A constant default adds the column without rewriting posts.

ALTER TABLE posts ADD COLUMN platform_content jsonb NOT NULL DEFAULT '{}';
