package instagram

// Every call to Instagram goes to its Graph API (graph.instagram.com), with Meta's Graph
// error body and classification (package metagraph). Instagram's own: code 102 is a dead
// token too (tokens live 60 days), code 9 is a rate limit (subcode 2207042 is the 50 API
// posts a day per account), and the token travels as the access_token parameter. The
// first token leg, on api.instagram.com, is no Graph API (oauth.go).

import "github.com/octopost/octopost/service/platform/metagraph"

// rules are Instagram's Graph differences.
var rules = &metagraph.Rules{
	Name:           "Instagram",
	Env:            env,
	SettingAPIURL:  SettingAPIURL,
	TokenCodes:     []int{metagraph.CodeTokenInvalid, 102},
	RateLimitCodes: []int{4, 9, 17, 32, 613},
	TransientCodes: []int{1, 2},
}
