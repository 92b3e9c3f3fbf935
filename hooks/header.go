package hooks

import (
	"cmp"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
)

// maxHeaderBytes is the budget of header bytes an Event keeps, and so the
// debug log (documented at Event.Header).
const maxHeaderBytes = 16 << 10

// keptHeader returns h redacted (as RedactHeader with extra) and cut to
// max bytes as maxHeaderBytes says, with how many values and bytes it
// left out. It is the one place the headers an Event and an Interaction
// keep are chosen. names remembers which header names are sensitive.
func keptHeader(h http.Header, max int, names *headerNames, extra ...string) (out http.Header, dropped, droppedBytes int) {
	out = names.redact(h, extra)
	total := 0
	for k, vs := range out {
		for _, v := range vs {
			total += headerCost(k, v)
		}
	}
	if total <= max {
		return out, 0, 0
	}
	dropped, droppedBytes = cutHeader(out, max)
	return out, dropped, droppedBytes
}

// cutHeader cuts out, a header over max bytes, to max bytes as
// maxHeaderBytes says, and returns how many values and bytes it left out.
// It is apart from keptHeader so that the common header, under the
// budget, does not pay for its stack frame.
func cutHeader(out http.Header, max int) (dropped, droppedBytes int) {
	type value struct {
		key  string
		i    int
		cost int
	}
	var all []value
	for k, vs := range out {
		for i, v := range vs {
			all = append(all, value{k, i, headerCost(k, v)})
		}
	}
	slices.SortFunc(all, func(a, b value) int {
		return cmp.Or(cmp.Compare(a.cost, b.cost), cmp.Compare(a.key, b.key), cmp.Compare(a.i, b.i))
	})
	keep := make(map[string][]bool, len(out))
	used := 0
	for _, v := range all {
		if used+v.cost > max {
			dropped++
			droppedBytes += v.cost
			continue
		}
		used += v.cost
		if keep[v.key] == nil {
			keep[v.key] = make([]bool, len(out[v.key]))
		}
		keep[v.key][v.i] = true
	}
	for k, vs := range out {
		kept := vs[:0]
		for i, v := range vs {
			if keep[k] != nil && keep[k][i] {
				kept = append(kept, v)
			}
		}
		if len(kept) == 0 {
			delete(out, k)
			continue
		}
		out[k] = kept
	}
	return dropped, droppedBytes
}

// headerCost is what one header value counts against maxHeaderBytes.
func headerCost(name, value string) int { return len(name) + len(value) + 4 }

// maxHeaderNames bounds how many header names a headerNames remembers,
// and maxHeaderNameLen how long a remembered name may be: names come from
// senders, and the common ones are few and short.
const (
	maxHeaderNames   = 256
	maxHeaderNameLen = 64
)

// headerNames remembers, for the header names it has seen, whether
// RedactHeader's rule (isSensitiveHeader) redacts them, so that the
// headers of each arrival are redacted without lowercasing every name
// again. Lookups take no lock and allocate nothing; the map is copied on
// write, and stops growing at maxHeaderNames. The zero value is ready to
// use; a nil *headerNames decides every name afresh.
type headerNames struct {
	mu        sync.Mutex
	sensitive atomic.Pointer[map[string]bool]
}

// isSensitive reports isSensitiveHeader(name), remembered.
func (n *headerNames) isSensitive(name string) bool {
	if n == nil {
		return isSensitiveHeader(name)
	}
	if m := n.sensitive.Load(); m != nil {
		if s, ok := (*m)[name]; ok {
			return s
		}
	}
	s := isSensitiveHeader(name)
	if len(name) <= maxHeaderNameLen {
		n.remember(name, s)
	}
	return s
}

func (n *headerNames) remember(name string, sensitive bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var old map[string]bool
	if p := n.sensitive.Load(); p != nil {
		old = *p
	}
	if len(old) >= maxHeaderNames {
		return
	}
	m := make(map[string]bool, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[name] = sensitive
	n.sensitive.Store(&m)
}

// redact returns what RedactHeader(h, extra...) returns, made with two
// allocations whatever the number of headers: the map, and one array
// that holds the values of every header (each header's slice has its own
// length as capacity, so appending to one cannot overwrite the next).
func (n *headerNames) redact(h http.Header, extra []string) http.Header {
	out := make(http.Header, len(h))
	count := 0
	for _, vs := range h {
		count += len(vs)
	}
	values := make([]string, count)
	for k, vs := range h {
		if n.isSensitive(k) || containsFold(extra, k) {
			red := values[:len(vs):len(vs)]
			for i := range red {
				red[i] = Redacted
			}
			out[k] = red
		} else if len(vs) > 0 {
			out[k] = values[:copy(values, vs):len(vs)]
		} else {
			out[k] = nil // as RedactHeader copies an empty value list
		}
		values = values[len(vs):]
	}
	return out
}
