//go:build race

package main

// raceDetector is on: the fake Telegram runs several times slower and
// records arrival times with more jitter than its 50 ms tolerance, so the
// scenario logs timing limits instead of failing on them.
const raceDetector = true
