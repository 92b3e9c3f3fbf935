package hooks_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/inbound-hooks/inbound/"

// layers orders the library's packages from the bottom up: a package may
// import packages of lower layers only (and its own package's
// subpackages). The core (hooks) knows no kind and no service above it;
// the kinds do not know each other; the admin API sits above the kinds and
// the services, and the root package inbound (the host's short path) above
// them all. Examples and internal tools may use anything.
var layers = []struct {
	name string
	pkgs []string // path prefixes relative to the module
}{
	{"storage", []string{"store"}},
	{"signature verification", []string{"webhook/signature"}},
	{"core", []string{"hooks"}},
	{"services", []string{"debuglog"}},
	{"kinds", []string{"formhook", "webhook", "emailhook"}},
	{"admin", []string{"admin"}},
	{"entry point", []string{"."}}, // package inbound: New wires the kinds
}

// layerOf returns the layer index and the unit (the prefix it matched) of
// a module-relative package path, or -1 for packages outside the layers.
func layerOf(pkg string) (int, string) {
	best, unit, n := -1, "", 0
	for i, l := range layers {
		for _, p := range l.pkgs {
			if (pkg == p || strings.HasPrefix(pkg, p+"/")) && len(p) > n {
				best, unit, n = i, p, len(p)
			}
		}
	}
	return best, unit
}

// TestLayering checks the import graph of the library's non-test files:
// no import runs from a lower layer to a higher one, and no kind imports
// another kind.
func TestLayering(t *testing.T) {
	root := ".."
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "testdata" || strings.HasPrefix(name, ".") && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		pkg := filepath.ToSlash(filepath.Dir(rel))
		from, fromUnit := layerOf(pkg)
		if from < 0 {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			dep, ok := strings.CutPrefix(p, module)
			if p+"/" == module {
				dep, ok = ".", true // the root package inbound
			}
			if !ok {
				continue
			}
			checked++
			to, toUnit := layerOf(dep)
			switch {
			case to < 0 && !strings.HasPrefix(dep, "internal/"):
				t.Errorf("%s imports %s, which is in no layer", rel, dep)
			case to > from:
				t.Errorf("%s (layer %q) imports %s (layer %q): imports must run downward", rel, layers[from].name, dep, layers[to].name)
			case to == from && toUnit != fromUnit:
				t.Errorf("%s imports %s: packages of the layer %q must not import each other", rel, dep, layers[from].name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no import of the module was checked")
	}
}

func TestLayerOf(t *testing.T) {
	for pkg, want := range map[string]string{
		"hooks": "core", "hooks/intake": "core", "webhook/signature": "signature verification",
		"webhook": "kinds", "store/pgstore": "storage", "admin": "admin", ".": "entry point",
	} {
		if i, _ := layerOf(pkg); i < 0 || layers[i].name != want {
			t.Errorf("layerOf(%q): got %d, want %q", pkg, i, want)
		}
	}
	if i, _ := layerOf("examples/server"); i != -1 {
		t.Errorf("examples/server is in layer %d, want none", i)
	}
}
