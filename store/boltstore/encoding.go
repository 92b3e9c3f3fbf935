package boltstore

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// Bucket names.
var (
	bMeta      = []byte("meta")      // "version" -> fileVersion
	bHooks     = []byte("hooks")     // hook ID -> JSON store.Hook
	bTokens    = []byte("tokens")    // token -> hook ID
	bHookOrg   = []byte("hookorg")   // lp(org) timeKey(CreatedAt) ID -> nothing
	bKeys      = []byte("keys")      // key ID -> JSON store.Key
	bKeyOrg    = []byte("keyorg")    // lp(org) timeKey(CreatedAt) ID -> nothing
	bDebug     = []byte("debug")     // hook ID -> bucket: entry ID -> JSON store.DebugEntry
	bStates    = []byte("states")    // event ID -> eventRecord (binary, see encode)
	bPayloads  = []byte("payloads")  // event ID -> payload bytes, or a bucket holding them (bigPayload)
	bIdem      = []byte("idem")      // lp(hook ID) key -> timeKey(CreatedAt) event ID
	bPending   = []byte("pending")   // timeKey(NextAttempt) timeKey(CreatedAt) ID -> nothing
	bDelivered = []byte("delivered") // timeKey(UpdatedAt) ID -> nothing
	bOrgState  = []byte("orgstate")  // lp(org) lp(state) timeKey(CreatedAt) ID -> nothing
	bCounts    = []byte("counts")    // state -> uint64 count
	bSeen      = []byte("seen")      // lp(hook ID) key -> seenRecord (IdempotencyStore)
	bSeenExp   = []byte("seenexp")   // timeKey(expires) lp(hook ID) key -> nothing

	allBuckets = [][]byte{bMeta, bHooks, bTokens, bHookOrg, bKeys, bKeyOrg, bDebug,
		bStates, bPayloads, bIdem, bPending, bDelivered, bOrgState, bCounts, bSeen, bSeenExp}

	keyVersion  = []byte("version")
	fileVersion = []byte("3")
	// bEventsV1 held version 1's events: JSON records with the payload in
	// base64 (see migrate.go).
	bEventsV1 = []byte("events")
)

// timeKeyLen is the length of an encoded time.
const timeKeyLen = 12

// appendTime appends t so that byte order is time order: the Unix seconds
// with the sign bit flipped, then the nanoseconds, both big-endian. It
// covers every time.Time, including the zero value.
func appendTime(b []byte, t time.Time) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(t.Unix())^(1<<63))
	return binary.BigEndian.AppendUint32(b, uint32(t.Nanosecond()))
}

// parseTime decodes the first timeKeyLen bytes of b.
func parseTime(b []byte) time.Time {
	sec := int64(binary.BigEndian.Uint64(b) ^ (1 << 63))
	return time.Unix(sec, int64(binary.BigEndian.Uint32(b[8:]))).UTC()
}

// appendLP appends s with its length in front, so that a sequence of
// such fields is a prefix-free key.
func appendLP(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// prefixEnd returns the smallest key greater than every key starting with
// p, or nil when there is none.
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

func orgKey(org string, created time.Time, id string) []byte {
	b := appendLP(nil, org)
	b = appendTime(b, created)
	return append(b, id...)
}

func pendingKey(next, created time.Time, id string) []byte {
	b := appendTime(make([]byte, 0, 2*timeKeyLen+len(id)), next)
	b = appendTime(b, created)
	return append(b, id...)
}

func deliveredKey(updated time.Time, id string) []byte {
	b := appendTime(make([]byte, 0, timeKeyLen+len(id)), updated)
	return append(b, id...)
}

func orgStatePrefix(org, state string) []byte {
	return appendLP(appendLP(nil, org), state)
}

func orgStateKey(org, state string, created time.Time, id string) []byte {
	b := appendTime(orgStatePrefix(org, state), created)
	return append(b, id...)
}

func idemKey(hookID, key string) []byte {
	return append(appendLP(nil, hookID), key...)
}

func decode(what string, id []byte, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %s %q: %v", ErrCorrupt, what, id, err)
	}
	return nil
}

// cutLP is the inverse of appendLP: it returns the first field of b and
// the bytes after it.
func cutLP(b []byte) (string, []byte, bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)-w) {
		return "", nil, false
	}
	return string(b[w : w+int(n)]), b[w+int(n):], true
}
