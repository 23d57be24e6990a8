package augment

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"unsafe"

	"github.com/gtrain/gtrain/data"
)

// Pipeline is a sequence of ops applied in order. The zero value, and a
// nil *Pipeline, apply nothing.
type Pipeline struct {
	Ops []Op
}

// Specs returns the canonical spec of every op, in order; Parse of the
// result gives an equal Pipeline. It returns an empty, non-nil slice for
// an empty or nil Pipeline.
func (p *Pipeline) Specs() []string {
	if p == nil {
		return []string{}
	}
	s := make([]string, len(p.Ops))
	for i, op := range p.Ops {
		s[i] = op.String()
	}
	return s
}

// String returns the canonical specs joined by spaces, or "none".
func (p *Pipeline) String() string {
	if p == nil || len(p.Ops) == 0 {
		return "none"
	}
	return strings.Join(p.Specs(), " ")
}

// Validate checks the parameters of every op that has a Validate method,
// as the ops of this package do.
func (p *Pipeline) Validate() error {
	if p == nil {
		return nil
	}
	for _, op := range p.Ops {
		if v, ok := op.(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil {
				return fmt.Errorf("augment: spec %q: %w", op.String(), err)
			}
		}
	}
	return nil
}

// Apply runs the ops of p in order on imgs, a batch of len(imgs)/3072
// images in [0, 1] pixel units, in place, drawing from rng. It allocates
// nothing. A nil or empty p leaves imgs alone and draws nothing. Apply
// panics if len(imgs) is not a multiple of data.ImageSize.
func Apply[T data.Float](p *Pipeline, imgs []T, rng *rand.Rand) {
	if len(imgs)%imageSize != 0 {
		panic(fmt.Sprintf("augment: Apply: length %d is not a multiple of ImageSize", len(imgs)))
	}
	if p == nil || len(p.Ops) == 0 || len(imgs) == 0 {
		return
	}
	// T's underlying type is float32 or float64, so imgs has the memory
	// layout of a []float32 or a []float64.
	ptr := unsafe.Pointer(unsafe.SliceData(imgs))
	if unsafe.Sizeof(imgs[0]) == 4 {
		x := unsafe.Slice((*float32)(ptr), len(imgs))
		for _, op := range p.Ops {
			op.Apply32(x, rng)
		}
		return
	}
	x := unsafe.Slice((*float64)(ptr), len(imgs))
	for _, op := range p.Ops {
		op.Apply64(x, rng)
	}
}

// Parse reads a list of specs, one op each (see the package
// documentation), into a Pipeline that applies them in order. No specs
// give an empty Pipeline. The error of a bad spec quotes it and says what
// is allowed.
//
// A command line that splits a flag's values at commas cuts a jitter spec
// into "jitter:brightness=0.2", "contrast=0.2", ...; Parse joins such
// KEY=VALUE pieces (no colon) back onto the jitter spec before them, so
// that both the split and the unsplit form work. Elsewhere a KEY=VALUE
// piece is an error.
func Parse(specs []string) (*Pipeline, error) {
	p := &Pipeline{Ops: make([]Op, 0, len(specs))}
	for i := 0; i < len(specs); i++ {
		s := specs[i]
		if isJitter(s) {
			for i+1 < len(specs) && isJitterParam(specs[i+1]) {
				i++
				s += "," + specs[i]
			}
		}
		op, err := ParseOp(s)
		if err != nil {
			return nil, err
		}
		p.Ops = append(p.Ops, op)
	}
	return p, nil
}

func isJitter(spec string) bool {
	name, _, ok := strings.Cut(spec, ":")
	return ok && strings.EqualFold(strings.TrimSpace(name), "jitter")
}

func isJitterParam(spec string) bool {
	return !strings.Contains(spec, ":") && strings.Contains(spec, "=")
}

// ParseOp reads one spec, such as "gaussian:0.01" or "translate:4:edge".
// Names and modes are case-insensitive; spaces around the spec and its
// fields are ignored.
func ParseOp(spec string) (Op, error) {
	op, err := parseOp(spec)
	if err != nil {
		return nil, fmt.Errorf("augment: spec %q: %w", spec, err)
	}
	return op, nil
}

const usage = "gaussian:SIGMA, sp:F[:value|pixel], flip[:P], translate:K[:zero|edge] or jitter:brightness=B,contrast=C,saturation=S"

func parseOp(spec string) (Op, error) {
	fields := strings.Split(strings.TrimSpace(spec), ":")
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	name, args := strings.ToLower(fields[0]), fields[1:]
	nargs := func(lo, hi int, form string) error {
		if len(args) < lo || len(args) > hi {
			return fmt.Errorf("want %s", form)
		}
		return nil
	}
	var op interface {
		Op
		Validate() error
	}
	switch name {
	case "gaussian":
		if err := nargs(1, 1, "gaussian:SIGMA with SIGMA in [0, 1]"); err != nil {
			return nil, err
		}
		sigma, err := parseFloat("sigma", args[0])
		if err != nil {
			return nil, err
		}
		op = Gaussian{Sigma: sigma}
	case "sp":
		if err := nargs(1, 2, "sp:F[:value|pixel] with F in [0, 1]"); err != nil {
			return nil, err
		}
		f, err := parseFloat("fraction", args[0])
		if err != nil {
			return nil, err
		}
		s := SaltPepper{Fraction: f}
		if len(args) == 2 {
			switch strings.ToLower(args[1]) {
			case "value":
			case "pixel":
				s.PerPixel = true
			default:
				return nil, fmt.Errorf("mode must be value or pixel, got %q", args[1])
			}
		}
		op = s
	case "flip":
		if err := nargs(0, 1, "flip[:P] with P in [0, 1]"); err != nil {
			return nil, err
		}
		f := Flip{P: 0.5}
		if len(args) == 1 {
			var err error
			if f.P, err = parseFloat("probability", args[0]); err != nil {
				return nil, err
			}
		}
		op = f
	case "translate":
		if err := nargs(1, 2, fmt.Sprintf("translate:K[:zero|edge] with K an integer in [0, %d]", MaxShift)); err != nil {
			return nil, err
		}
		k, err := strconv.Atoi(args[0])
		if err != nil {
			return nil, fmt.Errorf("shift bound must be an integer in [0, %d], got %q", MaxShift, args[0])
		}
		t := Translate{Max: k}
		if len(args) == 2 {
			switch strings.ToLower(args[1]) {
			case "zero":
			case "edge":
				t.Fill = FillEdge
			default:
				return nil, fmt.Errorf("fill must be zero or edge, got %q", args[1])
			}
		}
		op = t
	case "jitter":
		const form = "jitter:brightness=B,contrast=C,saturation=S with each key optional (at least one) and each value in [0, 1]"
		if err := nargs(1, 1, form); err != nil {
			return nil, err
		}
		j, err := parseJitter(args[0], form)
		if err != nil {
			return nil, err
		}
		op = j
	case "":
		return nil, errors.New("empty spec; want " + usage)
	default:
		if len(args) == 0 && strings.Contains(name, "=") {
			return nil, errors.New("not an op: a KEY=VALUE jitter parameter belongs in a jitter spec (jitter:brightness=B,contrast=C,saturation=S)")
		}
		return nil, fmt.Errorf("unknown op %q; want %s", fields[0], usage)
	}
	if err := op.Validate(); err != nil {
		return nil, err
	}
	return op, nil
}

func parseJitter(arg, form string) (Jitter, error) {
	var j Jitter
	seen := map[string]bool{}
	for kv := range strings.SplitSeq(arg, ",") {
		key, val, ok := strings.Cut(kv, "=")
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		if !ok || key == "" {
			return j, fmt.Errorf("malformed parameter %q; want %s", strings.TrimSpace(kv), form)
		}
		var dst *float64
		switch key {
		case "brightness":
			dst = &j.Brightness
		case "contrast":
			dst = &j.Contrast
		case "saturation":
			dst = &j.Saturation
		default:
			return j, fmt.Errorf("unknown parameter %q; want brightness, contrast or saturation", key)
		}
		if seen[key] {
			return j, fmt.Errorf("%s given twice", key)
		}
		seen[key] = true
		v, err := parseFloat(key, val)
		if err != nil {
			return j, err
		}
		*dst = v
	}
	return j, nil
}

// parseFloat reads a finite number; the range is checked by Validate.
func parseFloat(name, s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%s must be a number in [0, 1], got %q", name, s)
	}
	return v, nil
}
