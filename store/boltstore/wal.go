package boltstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// The queue's log is a file beside the bbolt file (its path with walSuffix)
// that Enqueue writes ahead of bbolt: one write and one fdatasync for a
// group of events, where a bbolt commit costs a write of every page it
// dirties and two fsyncs. The committer applies the logged events to
// bbolt later, many at once, and records in the same transaction how far
// the log is applied (keyWALPos in bMeta); Open applies what a crash left
// unapplied, and Close applies all and removes the log.
//
// The file is a header (walMagic, then the log's epoch, 8 bytes
// big-endian) and records, each:
//
//	length of body (4 bytes, little-endian) | CRC-32C of epoch and body (4 bytes) | body
//
// with the body:
//
//	uvarint length of the delivery state | eventRecord.encode() | lp(ID) | payload
//
// The epoch is part of each record's checksum. When every record is
// applied, the writer starts again after the header with the next epoch
// (resetLog), so the records of an earlier round left further on fail
// their checksum and end the scan; so do a record cut short by a crash
// and the zeros the file is grown with (a length of zero).
const walSuffix = "-wal"

var walMagic = []byte("inbound\x01")

const (
	walHeaderLen    = 16
	walRecHeaderLen = 8
	// walGrowStep is how much the log file grows by at a time, after
	// walInitialSize at Open. The file is grown by writing zeros, so that a
	// record's fdatasync overwrites allocated blocks and does not also
	// commit a new file size.
	walGrowStep    = 4 << 20
	walInitialSize = 1 << 20
)

// keyWALPos, in bMeta, is the log position applied to this file: the
// epoch and the offset after the last applied record, 8 bytes each,
// big-endian.
var keyWALPos = []byte("walpos")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// walPos is a position in the log: an offset in the round of an epoch.
type walPos struct {
	epoch uint64
	off   int64
}

func (p walPos) encode() []byte {
	b := binary.BigEndian.AppendUint64(nil, p.epoch)
	return binary.BigEndian.AppendUint64(b, uint64(p.off))
}

func decodeWALPos(b []byte) (walPos, bool) {
	if len(b) != 16 {
		return walPos{}, false
	}
	return walPos{epoch: binary.BigEndian.Uint64(b), off: int64(binary.BigEndian.Uint64(b[8:]))}, true
}

// walChecksum is the checksum of a record's body in the round of epoch.
func walChecksum(epoch uint64, body []byte) uint32 {
	var e [8]byte
	binary.BigEndian.PutUint64(e[:], epoch)
	return crc32.Update(crc32.Checksum(e[:], castagnoli), castagnoli, body)
}

// appendWALRecord appends the log record of r and its payload for the
// round of epoch to b.
func appendWALRecord(b []byte, epoch uint64, r *eventRecord, payload []byte) []byte {
	start := len(b)
	b = append(b, make([]byte, walRecHeaderLen)...)
	enc := r.encode()
	b = binary.AppendUvarint(b, uint64(len(enc)))
	b = append(b, enc...)
	b = appendLP(b, r.ID)
	b = append(b, payload...)
	body := b[start+walRecHeaderLen:]
	binary.LittleEndian.PutUint32(b[start:], uint32(len(body)))
	binary.LittleEndian.PutUint32(b[start+4:], walChecksum(epoch, body))
	return b
}

// decodeWALBody is the inverse of appendWALRecord's body. The payload is
// a slice of body. It returns an error wrapping ErrCorrupt for a body
// appendWALRecord cannot have made.
func decodeWALBody(body []byte) (*eventRecord, []byte, error) {
	n, w := binary.Uvarint(body)
	if w <= 0 || n > uint64(len(body)-w) {
		return nil, nil, fmt.Errorf("%w: log record: bad delivery state length", ErrCorrupt)
	}
	enc := body[w : w+int(n)]
	id, payload, ok := cutLP(body[w+int(n):])
	if !ok || id == "" {
		return nil, nil, fmt.Errorf("%w: log record: bad event ID", ErrCorrupt)
	}
	r, err := decodeRecord(id, enc)
	if err != nil {
		return nil, nil, err
	}
	return r, payload, nil
}

// loggedEvent is an event written to the log: the record and payload
// Enqueue was given, and where its log record ends.
type loggedEvent struct {
	rec     *eventRecord
	ik      string // idemKey of rec's hook and key: set by the log writer, "" when read back at Open
	payload []byte
	end     walPos
}

// scanWAL returns the records of the round of epoch in data (the whole
// log file) from offset from on, up to the first that is not whole and
// intact: the end of what was written, or a write a crash cut short.
func scanWAL(data []byte, epoch uint64, from int64) ([]*loggedEvent, error) {
	var out []*loggedEvent
	off := from
	for off >= walHeaderLen && off+walRecHeaderLen <= int64(len(data)) {
		n := int64(binary.LittleEndian.Uint32(data[off:]))
		if n == 0 || n > int64(len(data))-off-walRecHeaderLen {
			break
		}
		body := data[off+walRecHeaderLen : off+walRecHeaderLen+n]
		if binary.LittleEndian.Uint32(data[off+4:]) != walChecksum(epoch, body) {
			break
		}
		r, payload, err := decodeWALBody(body)
		if err != nil {
			return nil, fmt.Errorf("log record at offset %d: %w", off, err)
		}
		off += walRecHeaderLen + n
		out = append(out, &loggedEvent{rec: r, payload: payload, end: walPos{epoch: epoch, off: off}})
	}
	return out, nil
}

// readWAL reads the log file at path and returns the records that follow
// applied, the position the bbolt file has applied, and the log's epoch.
// A missing file, or one whose header was never written whole, holds no
// records. An epoch ahead of applied's means every record of applied's
// round was applied before the log started its next round (makeRoom
// waits for that), so the scan starts after the header.
func readWAL(path string, applied walPos) ([]*loggedEvent, uint64, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read log: %w", err)
	}
	if len(data) < walHeaderLen || !bytes.Equal(data[:len(walMagic)], walMagic) {
		if len(bytes.Trim(data[:min(len(data), walHeaderLen)], "\x00")) == 0 {
			return nil, 0, nil // created, never written
		}
		return nil, 0, fmt.Errorf("%w: %s is not a log file", ErrCorrupt, path)
	}
	epoch := binary.BigEndian.Uint64(data[len(walMagic):])
	from := int64(walHeaderLen)
	switch {
	case epoch == applied.epoch:
		from = max(applied.off, walHeaderLen)
	case epoch < applied.epoch:
		return nil, epoch, nil // an older log than the file's: all applied
	}
	evs, err := scanWAL(data, epoch, from)
	return evs, epoch, err
}

// walFile is the log file open for writing. Only the log writer uses it.
type walFile struct {
	f      *os.File
	path   string
	epoch  uint64
	off    int64 // where the next record goes
	size   int64 // the file's length: zeros from off to size
	noSync bool
}

// createWAL creates the log file at path (replacing any), with the
// header of epoch, durably.
func createWAL(path string, mode os.FileMode, epoch uint64, noSync bool) (*walFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return nil, fmt.Errorf("create log: %w", err)
	}
	w := &walFile{f: f, path: path, epoch: epoch, off: walHeaderLen, noSync: noSync}
	err = w.writeHeader()
	w.size = walHeaderLen
	if err == nil {
		err = w.grow(walInitialSize)
	}
	if err == nil {
		err = w.sync()
	}
	if err == nil {
		err = syncDir(filepath.Dir(path), noSync)
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return w, nil
}

func (w *walFile) writeHeader() error {
	h := binary.BigEndian.AppendUint64(append([]byte(nil), walMagic...), w.epoch)
	if _, err := w.f.WriteAt(h, 0); err != nil {
		return fmt.Errorf("write log header: %w", err)
	}
	return nil
}

// grow makes the file at least n bytes long, writing zeros, in steps of
// walGrowStep once it is longer than walInitialSize.
func (w *walFile) grow(n int64) error {
	if n <= w.size {
		return nil
	}
	if w.size >= walInitialSize {
		n = max(n, w.size+walGrowStep)
	}
	zeros := make([]byte, min(n-w.size, walGrowStep))
	for w.size < n {
		k := min(int64(len(zeros)), n-w.size)
		if _, err := w.f.WriteAt(zeros[:k], w.size); err != nil {
			return fmt.Errorf("grow log: %w", err)
		}
		w.size += k
	}
	return nil
}

func (w *walFile) sync() error {
	if w.noSync {
		return nil
	}
	if err := syscall.Fdatasync(int(w.f.Fd())); err != nil {
		return fmt.Errorf("sync log: %w", err)
	}
	return nil
}

// append writes records (whole log records of this epoch) at the end of
// the log, durably.
func (w *walFile) append(records []byte) error {
	end := w.off + int64(len(records))
	// A zero length after the records ends a scan, whatever was there.
	if err := w.grow(end + walRecHeaderLen); err != nil {
		return err
	}
	if _, err := w.f.WriteAt(records, w.off); err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	if err := w.sync(); err != nil {
		return err
	}
	w.off = end
	return nil
}

// restart begins the next round: the next epoch, from after the header.
// The caller has made sure every record is applied. The new header
// reaches the disk with the next append's sync; until then the old one
// names an epoch whose records are all applied, which is as good.
func (w *walFile) restart() error {
	w.epoch++
	if err := w.writeHeader(); err != nil {
		return err
	}
	w.off = walHeaderLen
	return nil
}

func (w *walFile) close() error { return w.f.Close() }

// syncDir makes a new or removed name in dir durable.
func syncDir(dir string, noSync bool) error {
	if noSync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	return nil
}
