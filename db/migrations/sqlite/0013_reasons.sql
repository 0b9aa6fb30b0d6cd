-- Why Octopost stopped using an account or an endpoint, in words safe to show its owner
-- (the text its account.disconnected or webhook.disabled event carried): the API and the
-- dashboard show it. NULL while the account is active or the endpoint enabled, and for
-- rows made inactive before this column existed.

ALTER TABLE accounts ADD COLUMN inactive_reason TEXT;
ALTER TABLE webhooks ADD COLUMN disabled_reason TEXT;
