// Package lookupcache holds the hooks and API keys a store serves from
// memory: HookByToken, GetHook and GetKey are asked on every request, and
// a store that answers them from a Cache makes no round trip for them.
//
// A Cache is only as fresh as the invalidations its store gives it. The
// store calls InvalidateHook or InvalidateKey after each write commits
// (boltstore sees every write and so is exact; pgstore also invalidates on
// the NOTIFY of another process's write), and Flush when it may have
// missed some. Entries may also be given a maximum age, the bound on
// staleness when an invalidation can be late or lost.
//
// A lookup that misses reads the store and adds what it read, with the
// ticket it took from Begin before the read: an Add whose ticket is older
// than the last invalidation is dropped, so that a read that raced a write
// never caches the value from before the write.
package lookupcache
