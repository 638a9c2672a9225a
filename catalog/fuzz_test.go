package catalog

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func FuzzFind(f *testing.F) {
	c := mustDefault(f)
	for _, a := range c.Academies {
		f.Add(a.Name)
		f.Add(a.Code)
	}
	for _, s := range []string{"creteuil", "Académie de Créteil", "024", "0", "", "  ", "ac-", "œ", "İ", "ǅ", "l’accès", "\xff\xfe", "versaille"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		n := Normalize(q)
		if again := Normalize(n); again != n {
			t.Fatalf("Normalize not idempotent: Normalize(%q) = %q, then %q", q, n, again)
		}
		if strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") ||
			strings.Trim(n, "abcdefghijklmnopqrstuvwxyz0123456789 ") != "" {
			t.Fatalf("Normalize(%q) = %q: want lowercase ascii words separated by single spaces", q, n)
		}
		if l, ok := ParseLevel(q); ok {
			if back, ok := ParseLevel(string(l)); !ok || back != l {
				t.Fatalf("ParseLevel(%q) = %q, but ParseLevel(%q) = %q, %v", q, l, l, back, ok)
			}
		}
		a, ok := c.Find(q)
		s, sok := c.Suggest(q)
		if !ok {
			return
		}
		if !sok || s.Slug != a.Slug {
			t.Fatalf("Find(%q) = %q but Suggest = %q, %v", q, a.Slug, s.Slug, sok)
		}
		for _, key := range []string{a.Name, a.Slug, a.Code} {
			if b, ok := c.Find(key); !ok || b.Slug != a.Slug {
				t.Fatalf("Find(%q) = %q, but Find(%q) = %q, %v", q, a.Slug, key, b.Slug, ok)
			}
		}
	})
}

func FuzzParse(f *testing.F) {
	// Not the whole default catalog: the fuzzer minimises every new input
	// byte by byte, and 30 kB of YAML would stall it for a minute each time.
	valid, err := yaml.Marshal(validCatalog())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add([]byte("academies:\n  - slug: paris\n    code: \"01\"\n    name: Paris\n    region: IDF\n    services: []\n"))
	f.Add([]byte("services:\n  - id: x\n    levels: [école]\n    url: http://x\n"))
	f.Add([]byte("alternatives: {colege: [{name: a, url: b}]}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("---\n---\n"))
	f.Add([]byte{0xff, 0x00, '\t'})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		// A catalog that parses must work with every lookup and survive a
		// round trip through YAML.
		for _, a := range c.Academies {
			if b, ok := c.Find(a.Slug); !ok || b.Slug != a.Slug {
				t.Fatalf("Find(%q) = %q, %v", a.Slug, b.Slug, ok)
			}
			c.ServicesOf(a.Slug)
		}
		for _, s := range c.Services {
			c.AcademiesOf(s.ID)
		}
		c.Regions()
		out, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("yaml.Marshal of a parsed catalog: %v", err)
		}
		if _, err := Parse(out); err != nil {
			t.Fatalf("re-parsing a parsed catalog: %v\n%s", err, out)
		}
	})
}
