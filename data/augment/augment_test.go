package augment

import (
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var typical = []string{
	"flip:0.5", "translate:4:edge", "jitter:brightness=0.2,contrast=0.2,saturation=0.1",
	"gaussian:0.01", "sp:0.01",
}

func TestDeterminism(t *testing.T) {
	p := mustParse(t, typical...)
	in := randomBatch(20, 20)
	a := append([]float64(nil), in...)
	b := append([]float64(nil), in...)
	c := append([]float64(nil), in...)
	Apply(p, a, newRNG(42))
	Apply(p, b, newRNG(42))
	Apply(p, c, newRNG(43))
	if !equal(a, b) {
		t.Error("the same seed gave different batches")
	}
	if equal(a, c) {
		t.Error("different seeds gave the same batch")
	}
	if equal(a, in) {
		t.Error("the pipeline changed nothing")
	}
}

// float32 batches make the same draws and, up to rounding, get the same
// result as float64 batches; named float types work too.
func TestFloat32MatchesFloat64(t *testing.T) {
	type myFloat float32
	p := mustParse(t, typical...)
	in := randomBatch(20, 21)
	x64 := append([]float64(nil), in...)
	x32 := make([]float32, len(in))
	xmy := make([]myFloat, len(in))
	for i, v := range in {
		x32[i], xmy[i] = float32(v), myFloat(v)
	}
	r64, r32, rmy := newRNG(5), newRNG(5), newRNG(5)
	Apply(p, x64, r64)
	Apply(p, x32, r32)
	Apply(p, xmy, rmy)
	if u := r64.Uint64(); u != r32.Uint64() || u != rmy.Uint64() {
		t.Fatal("float32 and float64 batches made different draws")
	}
	for i := range in {
		if math.Abs(float64(x32[i])-x64[i]) > 1e-6 {
			t.Fatalf("value %d: float32 %g, float64 %g", i, x32[i], x64[i])
		}
		if float32(xmy[i]) != x32[i] {
			t.Fatalf("value %d: named float32 type %g, float32 %g", i, xmy[i], x32[i])
		}
	}
}

func TestApplyAllocatesNothing(t *testing.T) {
	p := mustParse(t, typical...)
	x64 := randomBatch(10, 22)
	x32 := make([]float32, len(x64))
	rng := newRNG(22)
	if a := testing.AllocsPerRun(20, func() { Apply(p, x64, rng) }); a != 0 {
		t.Errorf("Apply of a float64 batch: %v allocations per call", a)
	}
	if a := testing.AllocsPerRun(20, func() { Apply(p, x32, rng) }); a != 0 {
		t.Errorf("Apply of a float32 batch: %v allocations per call", a)
	}
}

func TestApplyEmpty(t *testing.T) {
	x, rng := randomBatch(1, 23), newRNG(23)
	want := append([]float64(nil), x...)
	Apply(nil, x, rng)
	Apply(&Pipeline{}, x, rng)
	Apply(mustParse(t), x, rng)
	Apply(mustParse(t, typical...), x[:0], rng)
	if !equal(x, want) || rng.Uint64() != newRNG(23).Uint64() {
		t.Error("an empty pipeline or batch changed the images or drew")
	}
}

func TestApplyPanicsOnPartialImage(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "multiple of ImageSize") {
			t.Errorf("panic %v, want one about the length", r)
		}
	}()
	Apply(nil, make([]float32, imageSize+1), newRNG(1))
}

func TestParseCanonical(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"gaussian:0.01", "gaussian:0.01"},
		{" Gaussian : 1e-2 ", "gaussian:0.01"},
		{"gaussian:0", "gaussian:0"},
		{"sp:0.01", "sp:0.01:value"},
		{"sp:0.25:PIXEL", "sp:0.25:pixel"},
		{"sp:1:value", "sp:1:value"},
		{"flip", "flip:0.5"},
		{"flip:1", "flip:1"},
		{"translate:4", "translate:4:zero"},
		{"translate:31:edge", "translate:31:edge"},
		{"translate:0:zero", "translate:0:zero"},
		{"jitter:brightness=0.2,contrast=0.2,saturation=0.1", "jitter:brightness=0.2,contrast=0.2,saturation=0.1"},
		{"jitter:contrast=.3", "jitter:brightness=0,contrast=0.3,saturation=0"},
		{"jitter: saturation = 1 , brightness=0.125", "jitter:brightness=0.125,contrast=0,saturation=1"},
	} {
		p, err := Parse([]string{tc.in})
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := p.Specs(); len(got) != 1 || got[0] != tc.want {
			t.Errorf("Parse(%q).Specs() = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseRoundTrip(t *testing.T) {
	in := slices.Concat(typical, []string{"sp:0.3:pixel", "translate:7", "flip:0.123456789", "gaussian:0.1", "jitter:saturation=0.7"})
	p := mustParse(t, in...)
	if len(p.Ops) != len(in) {
		t.Fatalf("%d ops, want %d", len(p.Ops), len(in))
	}
	q := mustParse(t, p.Specs()...)
	if !reflect.DeepEqual(p, q) {
		t.Errorf("Parse(Specs()) = %v, want %v", q, p)
	}
	if !reflect.DeepEqual(q.Specs(), p.Specs()) {
		t.Errorf("specs changed on a round trip: %q, then %q", p.Specs(), q.Specs())
	}
	want := Pipeline{Ops: []Op{
		Flip{P: 0.5}, Translate{Max: 4, Fill: FillEdge}, Jitter{Brightness: 0.2, Contrast: 0.2, Saturation: 0.1},
		Gaussian{Sigma: 0.01}, SaltPepper{Fraction: 0.01},
	}}
	if !reflect.DeepEqual(p.Ops[:5], want.Ops) {
		t.Errorf("parsed %#v, want %#v", p.Ops[:5], want.Ops)
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
	if s := (*Pipeline)(nil).Specs(); s == nil || len(s) != 0 {
		t.Errorf("nil pipeline: Specs() = %#v, want empty", s)
	}
	if s := mustParse(t).String(); s != "none" {
		t.Errorf("empty pipeline: String() = %q", s)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want string // in the error, after the quoted spec
	}{
		{"gaussian:-0.01", "sigma must be in [0, 1], got -0.01"},
		{"gaussian:1.5", "sigma must be in [0, 1], got 1.5"},
		{"gaussian:NaN", `sigma must be a number in [0, 1], got "NaN"`},
		{"gaussian:inf", `sigma must be a number in [0, 1], got "inf"`},
		{"gaussian:", `sigma must be a number in [0, 1], got ""`},
		{"gaussian", "want gaussian:SIGMA with SIGMA in [0, 1]"},
		{"gaussian:0.1:0.2", "want gaussian:SIGMA"},
		{"sp:1.01", "fraction must be in [0, 1], got 1.01"},
		{"sp:-0.1", "fraction must be in [0, 1], got -0.1"},
		{"sp:nan:pixel", `fraction must be a number in [0, 1], got "nan"`},
		{"sp:0.1:channel", `mode must be value or pixel, got "channel"`},
		{"sp", "want sp:F[:value|pixel] with F in [0, 1]"},
		{"flip:1.5", "probability must be in [0, 1], got 1.5"},
		{"flip:-0.5", "probability must be in [0, 1], got -0.5"},
		{"flip:half", `probability must be a number in [0, 1], got "half"`},
		{"translate:-1", "shift bound must be an integer in [0, 31], got -1"},
		{"translate:32", "shift bound must be an integer in [0, 31], got 32"},
		{"translate:4.5", `shift bound must be an integer in [0, 31], got "4.5"`},
		{"translate:4:wrap", `fill must be zero or edge, got "wrap"`},
		{"translate", "want translate:K[:zero|edge] with K an integer in [0, 31]"},
		{"jitter:brightness=1.2", "brightness must be in [0, 1], got 1.2"},
		{"jitter:contrast=-0.1", "contrast must be in [0, 1], got -0.1"},
		{"jitter:saturation=NaN", `saturation must be a number in [0, 1], got "NaN"`},
		{"jitter:hue=0.1", `unknown parameter "hue"; want brightness, contrast or saturation`},
		{"jitter:brightness=0.1,brightness=0.2", "brightness given twice"},
		{"jitter:brightness", `malformed parameter "brightness"`},
		{"jitter:brightness=0.1,", `malformed parameter ""`},
		{"jitter", "want jitter:brightness=B,contrast=C,saturation=S"},
		{"contrast=0.2", "not an op: a KEY=VALUE jitter parameter belongs in a jitter spec"},
		{"blur:1", `unknown op "blur"; want gaussian:SIGMA, sp:F`},
		{"", "empty spec"},
		{"  ", "empty spec"},
	} {
		_, err := Parse([]string{"flip:0.5", tc.spec})
		if err == nil {
			t.Errorf("Parse(%q): no error", tc.spec)
			continue
		}
		prefix := "augment: spec " + strconv.Quote(tc.spec) + ": "
		if msg := err.Error(); !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tc.want) {
			t.Errorf("Parse(%q): error %q, want %q followed by %q", tc.spec, msg, prefix, tc.want)
		}
	}
}

// A command line that splits at commas cuts a jitter spec apart; Parse
// joins the pieces again, and only onto a jitter spec.
func TestParseJoinsSplitJitter(t *testing.T) {
	split := mustParse(t, "flip:0.5", "jitter:brightness=0.2", "contrast=0.3", " saturation=0.1", "gaussian:0.01")
	whole := mustParse(t, "flip:0.5", "jitter:brightness=0.2,contrast=0.3,saturation=0.1", "gaussian:0.01")
	if !reflect.DeepEqual(split, whole) {
		t.Errorf("split jitter parsed to %v, want %v", split, whole)
	}
	for _, specs := range [][]string{
		{"contrast=0.3"},
		{"flip:0.5", "contrast=0.3"},
		{"jitter:brightness=0.2", "flip:0.5", "contrast=0.3"},
	} {
		if _, err := Parse(specs); err == nil || !strings.Contains(err.Error(), `spec "contrast=0.3": not an op`) {
			t.Errorf("Parse(%q): error %v, want a stray parameter error", specs, err)
		}
	}
	_, err := Parse([]string{"jitter:brightness=0.2", "brightness=0.3"})
	if err == nil || !strings.Contains(err.Error(), `"jitter:brightness=0.2,brightness=0.3": brightness given twice`) {
		t.Errorf("duplicate across pieces: error %v", err)
	}
}

func TestValidateOps(t *testing.T) {
	for _, op := range []Op{Gaussian{Sigma: -1}, SaltPepper{Fraction: 2}, Flip{P: math.NaN()},
		Translate{Max: 40}, Translate{Max: 1, Fill: 7}, Jitter{Contrast: 3}} {
		if err := (&Pipeline{Ops: []Op{op}}).Validate(); err == nil {
			t.Errorf("%v: no error", op)
		}
	}
}
