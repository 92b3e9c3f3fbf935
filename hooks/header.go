package hooks

import (
	"cmp"
	"net/http"
	"slices"
)

// maxHeaderBytes is the budget of header bytes an Event keeps, and so the
// debug log (documented at Event.Header).
const maxHeaderBytes = 16 << 10

// keptHeader returns h redacted (RedactHeader with extra) and cut to max
// bytes as maxHeaderBytes says, with how many values and bytes it left
// out. It is the one place the headers an Event and an Interaction keep
// are chosen.
func keptHeader(h http.Header, max int, extra ...string) (out http.Header, dropped, droppedBytes int) {
	out = RedactHeader(h, extra...)
	total := 0
	for k, vs := range out {
		for _, v := range vs {
			total += headerCost(k, v)
		}
	}
	if total <= max {
		return out, 0, 0
	}
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
	return out, dropped, droppedBytes
}

// headerCost is what one header value counts against maxHeaderBytes.
func headerCost(name, value string) int { return len(name) + len(value) + 4 }
