package apikey_test

import (
	"fmt"
	"strings"

	"github.com/octopost/octopost/service/apikey"
)

// Generate a key, show Secret to the user once, and store only Hash, Hint
// and Mode.
func ExampleGenerate() {
	k, err := apikey.Generate(apikey.Test)
	if err != nil {
		panic(err)
	}
	fmt.Println(k.Mode)
	fmt.Println(strings.HasPrefix(k.Secret, "oct_test_"), len(k.Secret))
	fmt.Println(k.Hash == apikey.Hash(k.Secret), len(k.Hash))
	fmt.Println(strings.HasPrefix(k.Hint, "oct_test_…"))
	// Output:
	// test
	// true 58
	// true 64
	// true
}

// Parse rejects typos offline, before any database lookup.
func ExampleParse() {
	const key = "oct_live_ipZX51slr1KY1jOLoiTI0kHr3qOFKzaLPzzJNxP4D5m0R36Rs"
	mode, err := apikey.Parse(key)
	fmt.Println(mode, err)

	typo := strings.Replace(key, "ipZX", "ipZx", 1)
	_, err = apikey.Parse(typo)
	fmt.Println(err)
	// Output:
	// live <nil>
	// apikey: malformed: checksum mismatch
}

// The usual request path: header → key → offline check → look up by hash.
func ExampleFromAuthorization() {
	key, err := apikey.FromAuthorization("Bearer oct_live_ipZX51slr1KY1jOLoiTI0kHr3qOFKzaLPzzJNxP4D5m0R36Rs")
	if err != nil {
		fmt.Println("401:", err)
		return
	}
	mode, err := apikey.Parse(key)
	if err != nil {
		fmt.Println("401:", err)
		return
	}
	fmt.Println(mode, apikey.Hint(key))
	fmt.Println(apikey.Hash(key)[:8], "… (look this up)")

	_, err = apikey.FromAuthorization("")
	fmt.Println(err)
	// Output:
	// live oct_live_…36Rs
	// 37c6e6f4 … (look this up)
	// apikey: missing authorization header
}
