package catalog

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"
)

// defaultYAML is the catalog shipped in the binary. A string, not a []byte,
// so that nobody can modify it.
//
//go:embed default.yaml
var defaultYAML string

// Default parses and validates the embedded catalog. It parses on every call
// rather than caching, to keep the package free of global state; callers
// load it once at start.
func Default() (*Catalog, error) {
	c, err := parse([]byte(defaultYAML))
	if err != nil {
		return nil, fmt.Errorf("catalog: embedded default: %w", err)
	}
	return c, nil
}

// DefaultYAML returns a copy of the embedded catalog file, so that an
// operator can start their own catalog from it.
func DefaultYAML() []byte {
	return []byte(defaultYAML)
}

// Load reads and parses a catalog file. An empty path means the embedded
// default, so that the configuration variable can simply be left unset.
func Load(path string) (*Catalog, error) {
	if path == "" {
		return Default()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: read: %w", err)
	}
	c, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("catalog: %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes a catalog from YAML, validates it and builds its indexes.
//
// Unknown fields are errors, so that a misspelt "expect_staus" is reported
// instead of silently ignored. Levels may be written as ParseLevel accepts
// them ("école", "Collège") and are stored in canonical form; an omitted or
// zero slow_ms becomes DefaultSlowMS. Every validation problem is reported
// at once (errors.Join), each one naming its place in the file, such as
// `services[3] (id "foo"): url "htp:/x": must be an absolute http(s) URL`.
//
// An académie may not list a national service: national services already
// reach every subscriber, and listing one would make AcademiesOf lie.
func Parse(data []byte) (*Catalog, error) {
	c, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	return c, nil
}

// parse is Parse without the package prefix, for Load and Default to add
// their own context.
func parse(data []byte) (*Catalog, error) {
	c, err := decode(data)
	if err != nil {
		return nil, err
	}
	if errs := validate(c); len(errs) > 0 {
		noun := "problems"
		if len(errs) == 1 {
			noun = "problem"
		}
		return nil, fmt.Errorf("invalid (%d %s):\n%w", len(errs), noun, errors.Join(errs...))
	}
	index(c)
	return c, nil
}

// decode reads exactly one YAML document, rejecting unknown fields.
func decode(data []byte) (*Catalog, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	c := &Catalog{}
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("yaml: more than one document; a catalog is a single document")
	}
	return c, nil
}

// index builds the lookup tables of a validated catalog. Validation has
// already rejected duplicates, so every key maps to one entry.
func index(c *Catalog) {
	c.serviceByID = make(map[string]int, len(c.Services))
	for i, s := range c.Services {
		c.serviceByID[s.ID] = i
	}
	c.academyBySlug = make(map[string]int, len(c.Academies))
	c.nameKeys = map[string]int{}
	c.codeKeys = make(map[string]int, len(c.Academies))
	for i, a := range c.Academies {
		c.academyBySlug[a.Slug] = i
		for _, k := range nameKeysOf(a) {
			c.nameKeys[k] = i
		}
		c.codeKeys[codeKey(a.Code)] = i
	}
	c.depByCode = map[string]depRef{}
	c.depByName = map[string]depRef{}
	for i, a := range c.Academies {
		for j, d := range a.Departements {
			c.depByCode[depKey(d.Code)] = depRef{i, j}
			c.depByName[compact(Normalize(d.Name))] = depRef{i, j}
		}
	}
}
