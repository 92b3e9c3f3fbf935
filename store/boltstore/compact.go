package boltstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// compactTxBytes is how many bytes Compact copies in one transaction of
// the new file.
const compactTxBytes = 64 << 20

// compactGrowBytes is how much Compact grows the new file by at a time.
const compactGrowBytes = 1 << 20

// Compact writes a copy of the store file at src to a new file at dst,
// holding only the pages in use: the space of pruned events and cleared
// debug entries, which the file keeps (bbolt reuses it but never gives
// it back), is left behind. src is opened read-only and not changed; it
// must not be open in this or another process (Compact fails with
// ErrLocked after opts.Timeout). dst must not exist; it is created with
// opts.FileMode (0600 by default). Replace src with dst (os.Rename) only
// after Compact returns nil and before the store is opened again.
//
// Only Timeout and FileMode of opts are used; nil means the defaults.
func Compact(dst, src string, opts *Options) error {
	o := fileOptions(opts)
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("boltstore: compact: %w", err)
	}
	if _, err := os.Stat(dst); !errors.Is(err, fs.ErrNotExist) {
		if err == nil {
			err = fs.ErrExist
		}
		return fmt.Errorf("boltstore: compact into %s: %w", dst, err)
	}
	in, err := bolt.Open(src, 0, &bolt.Options{ReadOnly: true, Timeout: o.Timeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return fmt.Errorf("%w: %s (waited %v for its lock)", ErrLocked, src, o.Timeout)
	}
	if err != nil {
		return fmt.Errorf("boltstore: compact: open %s: %w", src, err)
	}
	defer in.Close()
	if err := checkLogApplied(in, src); err != nil {
		return err
	}
	out, err := bolt.Open(dst, o.FileMode, &bolt.Options{Timeout: o.Timeout, FreelistType: bolt.FreelistMapType, NoFreelistSync: true})
	if err != nil {
		return fmt.Errorf("boltstore: compact: create %s: %w", dst, err)
	}
	// Grow the new file by what it needs, in steps of compactGrowBytes,
	// not bbolt's 16 MiB: the file ends near the size of what it holds.
	out.AllocSize = compactGrowBytes
	if err := bolt.Compact(out, in, compactTxBytes); err != nil {
		_ = out.Close()
		_ = os.Remove(dst)
		return fmt.Errorf("boltstore: compact %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		_ = os.Remove(dst)
		return fmt.Errorf("boltstore: compact: close %s: %w", dst, err)
	}
	return nil
}

// checkLogApplied returns ErrUnappliedLog when the log beside the file at
// path, open as db, holds events the file has not applied.
func checkLogApplied(db *bolt.DB, path string) error {
	return db.View(func(tx *bolt.Tx) error {
		evs, _, err := unappliedLog(tx, path+walSuffix)
		if err != nil {
			return fmt.Errorf("boltstore: compact %s: %w", path, err)
		}
		if len(evs) > 0 {
			return fmt.Errorf("%w: %s has %d (open and close the store to apply them)", ErrUnappliedLog, path, len(evs))
		}
		return nil
	})
}
