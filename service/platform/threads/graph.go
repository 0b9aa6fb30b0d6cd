package threads

// Every call to Threads goes to its Graph API (graph.threads.net), with Meta's Graph error
// body and classification (package metagraph). Threads' own: code 102 is a dead token too
// (its tokens live 60 days), code 9 is a rate limit (the 250 posts a day per profile among
// them), and the token travels as the access_token parameter.

import "github.com/octopost/octopost/service/platform/metagraph"

// rules are Threads' Graph differences.
var rules = &metagraph.Rules{
	Name:           "Threads",
	Env:            env,
	SettingAPIURL:  SettingAPIURL,
	TokenCodes:     []int{metagraph.CodeTokenInvalid, 102},
	RateLimitCodes: []int{4, 9, 17, 32, 613},
	TransientCodes: []int{1, 2},
}
