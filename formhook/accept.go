package formhook

import (
	"strconv"
	"strings"
)

// maxAcceptRanges bounds how many media ranges of an Accept header are
// examined.
const maxAcceptRanges = 64

// wantsHTML reports whether a request's Accept header values prefer an
// HTML page to JSON: text/html (or application/xhtml+xml) is listed with a
// quality above zero, and application/json is not listed with an equal or
// higher quality. Wildcards count for neither. A browser navigating with a
// form post sends "text/html,...;q=0.9,*/*;q=0.8"; fetch() sends "*/*".
func wantsHTML(accept []string) bool {
	html, json := -1.0, -1.0
	n := 0
	for _, line := range accept {
		for part := range strings.SplitSeq(line, ",") {
			if n++; n > maxAcceptRanges {
				break
			}
			mt, params, _ := strings.Cut(part, ";")
			mt = strings.ToLower(strings.TrimSpace(mt))
			q := quality(params)
			switch mt {
			case "text/html", "application/xhtml+xml":
				html = max(html, q)
			case "application/json":
				json = max(json, q)
			}
		}
	}
	return html > 0 && html > json
}

// quality returns the q parameter of a media range's parameters, 1 when
// absent, and 0 when malformed.
func quality(params string) float64 {
	for p := range strings.SplitSeq(params, ";") {
		k, v, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || q < 0 || q > 1 {
			return 0
		}
		return q
	}
	return 1
}
