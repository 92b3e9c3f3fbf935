package store_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDependencyPlacement checks the design's rule that a third-party store
// dependency is imported only by its own store package (bbolt by
// store/boltstore, pgx by store/pgstore), and that package store imports
// nothing outside the standard library.
func TestDependencyPlacement(t *testing.T) {
	owners := map[string]string{
		"go.etcd.io/bbolt":        "store/boltstore",
		"github.com/jackc/pgx/":   "store/pgstore",
		"github.com/jackc/pgconn": "store/pgstore",
	}
	root := ".."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "testdata" || strings.HasPrefix(name, ".") && path != root {
				return filepath.SkipDir
			}
			// A nested module (the trigger adapters under triggers/) has
			// its own go.mod and dependencies (River runs on pgx): the
			// rule is about this module's packages.
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		dir := filepath.ToSlash(filepath.Dir(rel))
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for prefix, owner := range owners {
				if strings.HasPrefix(p, prefix) && dir != owner {
					t.Errorf("%s imports %s; only %s may", rel, p, owner)
				}
			}
			if dir == "store" && !strings.HasSuffix(rel, "_test.go") && strings.Contains(strings.Split(p, "/")[0], ".") {
				t.Errorf("%s imports %s; package store imports only the standard library", rel, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
