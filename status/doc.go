// Package status is Sentinelle's shared vocabulary: the words every other
// package uses for the same meanings, written once. A service's judged
// State and the Reason of a judgement; the Kind of an event and which
// change of state is announced as what (Announce); the school Level of a
// family and its bit in a chat's levels (LevelMask); the Audience of an
// event, who hears it; and the StatePayload a state event carries.
//
// The values are those stored in the database and in JSON payloads:
// storage writes and reads them as they are, so they may be extended,
// never renamed. The package is a leaf: it imports only the standard
// library, and every package of the project may import it.
package status
