package yamlstrict

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestDecodeGeneric(t *testing.T) {
	type inner struct {
		A []int `json:"a"`
	}
	type embedded struct {
		E string `json:"e"`
	}
	type outer struct {
		embedded
		M    map[string]float64 `json:"m"`
		P    *inner             `json:"p"`
		Skip int                `json:"-"`
		Raw  string
	}
	doc, err := Parse(strings.NewReader("e: x\nm: {a: 1}\np: {a: [1, 2]}\nRaw: r\n"), "f")
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]float64{"b": 2}
	o := outer{M: base}
	if err := Decode(doc, "f", "", &o); err != nil {
		t.Fatal(err)
	}
	if o.E != "x" || o.M["a"] != 1 || o.M["b"] != 2 || len(base) != 1 || o.P == nil || len(o.P.A) != 2 || o.Raw != "r" {
		t.Fatalf("%+v", o)
	}
	doc, _ = Parse(strings.NewReader("Skip: 1\n"), "f")
	if err := Decode(doc, "f", "", &o); err == nil || !strings.Contains(err.Error(), "f:1: Skip: unknown key") {
		t.Fatalf("json:\"-\" field accepted: %v", err)
	}
}

// The two ways of naming a node in messages: sweep files quote scalars,
// config files name their YAML type.
func TestDescribe(t *testing.T) {
	for _, tc := range []struct{ text, plain, typed string }{
		{"a: 1\n", "a mapping", "a mapping"},
		{"[1, 2]\n", "a list", "a list"},
		{"~\n", "no value", "no value"},
		{"3\n", `"3"`, "the integer 3"},
		{"svm\n", `"svm"`, "the string svm"},
		{"4.5\n", `"4.5"`, "the number 4.5"},
		{"yes\n", `"yes"`, "the string yes"},
		{"true\n", `"true"`, "the boolean true"},
	} {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(tc.text), &doc); err != nil {
			t.Fatal(err)
		}
		n := doc.Content[0]
		if got := Describe(n); got != tc.plain {
			t.Errorf("Describe(%q) = %s, want %s", tc.text, got, tc.plain)
		}
		if got := DescribeTyped(n); got != tc.typed {
			t.Errorf("DescribeTyped(%q) = %s, want %s", tc.text, got, tc.typed)
		}
	}
}

func TestErrorf(t *testing.T) {
	n := &yaml.Node{Line: 4}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{Errorf("s.yaml", n, "grid.eta", "want %s", "a list"), "s.yaml:4: grid.eta: want a list"},
		{Errorf("s.yaml", nil, "", "empty"), "s.yaml: empty"},
		{Errorf("", n, "", "x"), "4: x"},
		{Errorf("", nil, "k", "x"), "k: x"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%q, want %q", got, tc.want)
		}
	}
}
