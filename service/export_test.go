package service

// What the tests of package service_test need of its insides.

var WithHashSlot = withHashSlot

const (
	HashConcurrency  = hashConcurrency
	DummyHash        = dummyHash
	SignInEmailLimit = signInEmailLimit
)
