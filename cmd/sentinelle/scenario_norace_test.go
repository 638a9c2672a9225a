//go:build !race

package main

// raceDetector is off: the scenario holds the service to every timing
// limit.
const raceDetector = false
