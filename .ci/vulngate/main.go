// Command vulngate reads the JSON stream of `govulncheck -format json` on
// standard input, prints the findings that matter and decides whether CI
// fails.
//
// Only symbol-level findings count (the code calls a vulnerable function);
// package- and module-level findings (imported or required but not called)
// are listed as a count. A called vulnerability in a dependency module fails
// (exit 1): upgrade the module with `go get module@fixed`. A called
// vulnerability in the Go standard library is reported as a warning with the
// Go release that fixes it and does not fail, because it is fixed by the
// toolchain that builds the host program, not by this repository; set
// -stdlib=fail to make it fatal (for example where a fixed toolchain is
// installed). Malformed input, or a stream without the config and SBOM
// messages (govulncheck stopped before scanning), exits 2.
//
// It lives under .ci/ (ignored by ./... patterns) and is run by .ci/run as
// `go run ./.ci/vulngate [-stdlib=warn|fail] < govulncheck.json`.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// message is one object of govulncheck's JSON stream (protocol v1); each
// carries exactly one of its fields.
type message struct {
	SBOM *struct {
		GoVersion string `json:"go_version"`
	} `json:"SBOM"`
	Config *struct {
		ProtocolVersion string `json:"protocol_version"`
		ScannerVersion  string `json:"scanner_version"`
		DB              string `json:"db"`
		GoVersion       string `json:"go_version"`
		ScanLevel       string `json:"scan_level"`
	} `json:"config"`
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV          string  `json:"osv"`
		FixedVersion string  `json:"fixed_version"`
		Trace        []frame `json:"trace"`
	} `json:"finding"`
}

// frame is one step of a finding's trace; the first frame is the vulnerable
// symbol, package or module.
type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
	Receiver string `json:"receiver"`
	Position *struct {
		Filename string `json:"filename"`
		Line     int    `json:"line"`
	} `json:"position"`
}

// called is one vulnerability the code reaches, with one example trace of
// depth frames.
type called struct {
	id, module, version, fixed, symbol, site string
	depth                                    int
}

func main() {
	stdlib := flag.String("stdlib", "warn", "what a called standard-library vulnerability does: warn or fail")
	flag.Parse()
	if *stdlib != "warn" && *stdlib != "fail" {
		fmt.Fprintln(os.Stderr, "vulngate: -stdlib must be warn or fail")
		os.Exit(2)
	}
	code, err := run(os.Stdin, os.Stdout, *stdlib == "fail")
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulngate:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

// run reads the stream from r, writes the report to w and returns the exit
// code: 0 pass, 1 a fatal finding.
func run(r io.Reader, w io.Writer, stdlibFatal bool) (int, error) {
	dec := json.NewDecoder(r)
	summaries := map[string]string{}
	calls := map[string]called{}
	uncalled := map[string]bool{}
	var sawConfig, sawSBOM bool
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("decoding govulncheck output: %w", err)
		}
		switch {
		case m.Config != nil:
			sawConfig = true
			c := m.Config
			fmt.Fprintf(w, "govulncheck %s (protocol %s), %s, db %s, scan level %s\n",
				c.ScannerVersion, c.ProtocolVersion, c.GoVersion, c.DB, c.ScanLevel)
		case m.SBOM != nil:
			sawSBOM = true
		case m.OSV != nil:
			summaries[m.OSV.ID] = m.OSV.Summary
		case m.Finding != nil && len(m.Finding.Trace) > 0:
			f := m.Finding
			top := f.Trace[0]
			if top.Function == "" {
				uncalled[f.OSV] = true
				continue
			}
			c := called{id: f.OSV, module: top.Module, version: top.Version, fixed: f.FixedVersion, symbol: symbol(top), depth: len(f.Trace)}
			// The last frame with a position is the call site in our code.
			for i := len(f.Trace) - 1; i >= 0; i-- {
				if p := f.Trace[i].Position; p != nil && p.Filename != "" {
					c.site = fmt.Sprintf("%s:%d %s", p.Filename, p.Line, symbol(f.Trace[i]))
					break
				}
			}
			// Keep the shortest example trace (ties: the first call site in
			// sort order), so the report does not depend on stream order.
			if prev, ok := calls[f.OSV]; !ok || c.depth < prev.depth || c.depth == prev.depth && c.site < prev.site {
				calls[f.OSV] = c
			}
		}
	}
	if !sawConfig {
		return 0, errors.New("no config message: is the input `govulncheck -format json` output?")
	}
	if !sawSBOM {
		return 0, errors.New("no SBOM message: govulncheck stopped before scanning (see its errors)")
	}
	for id := range calls {
		delete(uncalled, id)
	}

	var mods, std []called
	for _, c := range calls {
		if c.module == "stdlib" || c.module == "toolchain" {
			std = append(std, c)
		} else {
			mods = append(mods, c)
		}
	}
	byID := func(s []called) { sort.Slice(s, func(i, j int) bool { return s[i].id < s[j].id }) }
	byID(mods)
	byID(std)

	code := 0
	if len(mods) > 0 {
		code = 1
		fmt.Fprintf(w, "\nFAIL: %d called vulnerabilities in dependency modules (upgrade with go get module@fixed):\n", len(mods))
		for _, c := range mods {
			report(w, c, summaries[c.id])
		}
	}
	if len(std) > 0 {
		label := "WARNING"
		if stdlibFatal {
			label, code = "FAIL", 1
		}
		fmt.Fprintf(w, "\n%s: %d called vulnerabilities in the Go standard library; build with Go %s or newer:\n",
			label, len(std), newest(std))
		for _, c := range std {
			report(w, c, summaries[c.id])
		}
	}
	fmt.Fprintf(w, "\n%d called in modules, %d called in the standard library, %d imported or required but not called.\n",
		len(mods), len(std), len(uncalled))
	return code, nil
}

// report prints one called vulnerability.
func report(w io.Writer, c called, summary string) {
	fmt.Fprintf(w, "  %s %s@%s (fixed in %s): %s\n", c.id, c.module, c.version, orNone(c.fixed), summary)
	fmt.Fprintf(w, "      %s", c.symbol)
	if c.site != "" {
		fmt.Fprintf(w, ", called from %s", c.site)
	}
	fmt.Fprintln(w)
}

// symbol names a frame's function as pkg.Recv.Func.
func symbol(f frame) string {
	parts := []string{f.Package}
	if f.Receiver != "" {
		parts = append(parts, strings.TrimPrefix(f.Receiver, "*"))
	}
	return strings.Join(append(parts, f.Function), ".")
}

// newest returns the highest fixed version among cs, as a Go release
// ("1.26.10"); fixed versions are semver ("v1.26.10").
func newest(cs []called) string {
	best := ""
	for _, c := range cs {
		if c.fixed != "" && (best == "" || semverLess(best, c.fixed)) {
			best = c.fixed
		}
	}
	if best == "" {
		return "(no fixed release yet)"
	}
	return strings.TrimPrefix(best, "v")
}

// semverLess compares two vMAJOR.MINOR.PATCH versions numerically; any
// pre-release suffix is compared as a string after the numbers.
func semverLess(a, b string) bool {
	pa, pb := strings.Split(strings.TrimPrefix(a, "v"), "."), strings.Split(strings.TrimPrefix(b, "v"), ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		var na, nb int
		_, errA := fmt.Sscanf(pa[i], "%d", &na)
		_, errB := fmt.Sscanf(pb[i], "%d", &nb)
		if errA != nil || errB != nil || na == nb {
			if pa[i] != pb[i] && (errA != nil || errB != nil) {
				return pa[i] < pb[i]
			}
			continue
		}
		return na < nb
	}
	return len(pa) < len(pb)
}

// orNone returns v, or "none" when it is empty.
func orNone(v string) string {
	if v == "" {
		return "none"
	}
	return v
}
