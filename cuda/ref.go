package cuda

import (
	"fmt"
	"math"

	"github.com/gtrain/gtrain/graph"
)

// Ref executes a program on the CPU, instruction by instruction, with the
// same views, gemm parameters (GemmOf, column-major) and function codes as
// the CUDA backend: it is how the lowering is checked without a GPU.
type Ref[T graph.Float] struct {
	p    *Program
	bufs [][]T
	host []float64
}

// NewRef prepares p for λ = lambda. Inputs and parameters are bound with Bind.
func NewRef[T graph.Float](p *Program, lambda float64) (*Ref[T], error) {
	if graph.Dtype[T]() != p.Dtype {
		return nil, fmt.Errorf("cuda: a %v program run as %v", p.Dtype, graph.Dtype[T]())
	}
	r := &Ref[T]{p: p, bufs: make([][]T, len(p.Slots)), host: p.HostValues(lambda)}
	for i, s := range p.Slots {
		switch s.Role {
		case Temp:
			r.bufs[i] = make([]T, s.Len)
		case Const:
			r.bufs[i] = make([]T, s.Len)
			for j, x := range s.Init {
				r.bufs[i][j] = T(x)
			}
		}
	}
	return r, nil
}

// Bind makes the slots of role (X, Y, W or b) read data, in place.
// Named parameters are bound with BindParam.
func (r *Ref[T]) Bind(role SlotRole, data []T) error {
	if role == Param {
		return fmt.Errorf("cuda: parameter slots are bound by name (BindParam)")
	}
	found := false
	for i, s := range r.p.Slots {
		if s.Role == role {
			if len(data) != s.Len {
				return fmt.Errorf("cuda: %s holds %d values, want %d", s.Name, len(data), s.Len)
			}
			r.bufs[i] = data
			found = true
		}
	}
	if !found && role != ParamB && role != InputY {
		return fmt.Errorf("cuda: the program has no slot of role %d", role)
	}
	return nil
}

// BindParam makes the parameter slot called name read data, in place.
func (r *Ref[T]) BindParam(name string, data []T) error {
	for i, s := range r.p.Slots {
		if s.Role == Param && s.Name == name {
			if len(data) != s.Len {
				return fmt.Errorf("cuda: %s holds %d values, want %d", s.Name, len(data), s.Len)
			}
			r.bufs[i] = data
			return nil
		}
	}
	return fmt.Errorf("cuda: the program has no parameter %s", name)
}

// BindSegment makes the slot of role (Y, W or b) of a stack's segment seg
// read data, in place.
func (r *Ref[T]) BindSegment(role SlotRole, seg int, data []T) error {
	for i, s := range r.p.Slots {
		if s.Role == role && s.Seg == seg {
			if len(data) != s.Len {
				return fmt.Errorf("cuda: %s holds %d values, want %d", s.Name, len(data), s.Len)
			}
			r.bufs[i] = data
			return nil
		}
	}
	return fmt.Errorf("cuda: the program has no slot of role %d in segment %d", role, seg)
}

// Output returns the values of a named output (valid until the next Run).
func (r *Ref[T]) Output(name string) []T {
	v, ok := r.p.Outputs[name]
	if !ok {
		return nil
	}
	return r.bufs[v.Slot][v.Off : v.Off+v.Rows*v.Cols]
}

// Scalar returns a scalar output as float64.
func (r *Ref[T]) Scalar(name string) float64 { return float64(r.Output(name)[0]) }

func (r *Ref[T]) at(v View, i, j int) float64 {
	if v.IsHost() {
		return r.host[v.Host]
	}
	return float64(r.bufs[v.Slot][v.Off+i*v.RS+j*v.CS])
}

// Run executes the program once.
func (r *Ref[T]) Run() error {
	for i, s := range r.p.Slots {
		if r.bufs[i] == nil {
			return fmt.Errorf("cuda: slot %s is not bound", s.Name)
		}
	}
	for _, in := range r.p.Instrs {
		var out []T
		if in.Out >= 0 {
			out = r.bufs[in.Out]
		}
		switch in.Kind {
		case Binary:
			for i := 0; i < in.Rows; i++ {
				for j := 0; j < in.Cols; j++ {
					out[i*in.Cols+j] = T(applyFn(in.Fn, r.at(in.In[0], i, j), r.at(in.In[1], i, j)))
				}
			}
		case Unary, Copy:
			fn := in.Fn
			if in.Kind == Copy {
				fn = FnIdentity
			}
			for i := 0; i < in.Rows; i++ {
				for j := 0; j < in.Cols; j++ {
					out[i*in.Cols+j] = T(applyFn(fn, r.at(in.In[0], i, j)))
				}
			}
		case Fused:
			r.fused(in)
		case Reduce:
			r.reduce(in, out)
		case MatMul:
			g := GemmOf(in)
			gemm(g.TransA, g.TransB, g.M, g.N, g.K, r.bufs[g.A][g.OffA:], g.LdA, r.bufs[g.B][g.OffB:], g.LdB, out, g.LdC)
		default:
			return fmt.Errorf("cuda: instruction %v", in)
		}
	}
	return nil
}

func (r *Ref[T]) fused(in Instr) {
	reg := make([]T, len(in.Ops))
	for i := 0; i < in.Rows; i++ {
		for j := 0; j < in.Cols; j++ {
			get := func(x int) float64 {
				if x >= 0 {
					return float64(reg[x])
				}
				return r.at(in.In[-x-1], i, j)
			}
			for k, o := range in.Ops {
				var v float64
				if o.B == NoOperand {
					v = applyFn(o.Fn, get(o.A))
				} else {
					v = applyFn(o.Fn, get(o.A), get(o.B))
				}
				reg[k] = T(v)
				if o.Store >= 0 {
					r.bufs[o.Store][i*in.Cols+j] = reg[k]
				}
			}
		}
	}
}

func (r *Ref[T]) reduce(in Instr, out []T) {
	v := in.In[0]
	init := 0.0
	if in.Fn == FnMax {
		init = math.Inf(-1)
	}
	acc := func(a T, x float64) T {
		if in.Fn == FnMax {
			return T(math.Max(float64(a), x))
		}
		return a + T(x)
	}
	switch in.Axis {
	case 1:
		for i := 0; i < v.Rows; i++ {
			a := T(init)
			for j := 0; j < v.Cols; j++ {
				a = acc(a, r.at(v, i, j))
			}
			out[i] = a
		}
	case 0:
		for j := 0; j < v.Cols; j++ {
			a := T(init)
			for i := 0; i < v.Rows; i++ {
				a = acc(a, r.at(v, i, j))
			}
			out[j] = a
		}
	default:
		a := T(init)
		for i := 0; i < v.Rows; i++ {
			for j := 0; j < v.Cols; j++ {
				a = acc(a, r.at(v, i, j))
			}
		}
		out[0] = a
	}
}

// gemm is a plain column-major GEMM with β = 0, as cuBLAS's Xgemm reads its
// arguments.
func gemm[T graph.Float](ta, tb bool, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	for j := 0; j < n; j++ {
		for i := 0; i < m; i++ {
			var s T
			for l := 0; l < k; l++ {
				var x, y T
				if ta {
					x = a[l+i*lda]
				} else {
					x = a[i+l*lda]
				}
				if tb {
					y = b[j+l*ldb]
				} else {
					y = b[l+j*ldb]
				}
				s += x * y
			}
			c[i+j*ldc] = s
		}
	}
}
