package cuda

import (
	"fmt"

	"gorgonia.org/tensor"
)

// View is a rank-2 view of a slot, or of a host scalar when Host ≥ 0
// (then Slot is -1 and the strides are 0). Element (i, j) is
// buf[Off + i·RS + j·CS].
type View struct {
	Slot, Host int
	Off        int
	Rows, Cols int
	RS, CS     int
	Shape      tensor.Shape // Gorgonia's shape of the value
	St         []int        // its strides, one per dimension
}

// IsHost reports whether v is a host scalar.
func (v View) IsHost() bool { return v.Host >= 0 }

// Contiguous reports whether v is a row-major, gap-free view.
func (v View) Contiguous() bool {
	switch {
	case v.IsHost():
		return false
	case v.Rows*v.Cols <= 1:
		return true
	case v.Rows == 1:
		return v.CS == 1
	case v.Cols == 1:
		return v.RS == 1
	}
	return v.CS == 1 && v.RS == v.Cols
}

func (v View) String() string {
	if v.IsHost() {
		return fmt.Sprintf("h%d%v", v.Host, []int(v.Shape))
	}
	return fmt.Sprintf("s%d+%d[%d×%d;%d,%d]", v.Slot, v.Off, v.Rows, v.Cols, v.RS, v.CS)
}

// contiguousView is the row-major view of a whole slot with Gorgonia shape s.
func contiguousView(slot int, s tensor.Shape) View {
	st := make([]int, len(s))
	acc := 1
	for i := len(s) - 1; i >= 0; i-- {
		st[i] = acc
		acc *= s[i]
	}
	return withShape(View{Slot: slot, Host: -1}, s, st)
}

// hostView is a host scalar broadcast to shape s.
func hostView(h int, s tensor.Shape) View {
	return withShape(View{Slot: -1, Host: h}, s, make([]int, len(s)))
}

// dimStrides returns the view's strides per Gorgonia dimension.
func (v View) dimStrides() []int { return append([]int(nil), v.St...) }

// withShape builds the view of shape s with per-dimension strides st. The
// rank-2 form is the last two dimensions; leading dimensions must be 1 (a
// batch of one), a rank-1 (n) is (1, n) and a scalar (1, 1).
func withShape(base View, s tensor.Shape, st []int) View {
	v := base
	v.Shape = s.Clone()
	v.St = append([]int(nil), st...)
	if v.IsHost() {
		clear(v.St)
	}
	r := len(s)
	for i := 0; i < r-2; i++ {
		if s[i] != 1 {
			panic(fmt.Sprintf("shape %v: a leading dimension other than 1 is not supported", s))
		}
	}
	switch {
	case r == 0:
		v.Rows, v.Cols, v.RS, v.CS = 1, 1, 0, 0
	case r == 1:
		v.Rows, v.Cols, v.RS, v.CS = 1, s[0], 0, v.St[0]
	default:
		v.Rows, v.Cols, v.RS, v.CS = s[r-2], s[r-1], v.St[r-2], v.St[r-1]
	}
	return v
}

// last2 returns the shape with its last two dimensions swapped, and the
// strides to match (a transposed operand).
func (v View) transposed() View {
	r := len(v.Shape)
	s, st := v.Shape.Clone(), v.dimStrides()
	s[r-1], s[r-2] = s[r-2], s[r-1]
	st[r-1], st[r-2] = st[r-2], st[r-1]
	return withShape(v, s, st)
}

// broadcast gives a (host scalar) view the shape out.
func (l *lowerer) broadcast(v View, out tensor.Shape) View {
	if v.Shape.Eq(out) {
		return v
	}
	if v.IsHost() || v.Shape.TotalSize() == 1 {
		w := contiguousView(0, out)
		w.Slot, w.Host, w.Off, w.RS, w.CS = v.Slot, v.Host, v.Off, 0, 0
		return w
	}
	panic(fmt.Sprintf("cannot broadcast %v to %v", v.Shape, out))
}

// materialize returns a contiguous view of v's values, adding a copy when
// v is a host scalar or strided.
func (l *lowerer) materialize(v View, why string) View {
	if v.Contiguous() {
		return v
	}
	return l.emit(Instr{Kind: Copy, Fn: FnIdentity, In: []View{v}, Node: why}, v.Shape)
}

// reshape views v with shape to: free for host scalars, contiguous views,
// broadcasts of one element and views that only add or drop unit
// dimensions; a copy otherwise.
func (l *lowerer) reshape(v View, to tensor.Shape, node string) View {
	if v.Shape.TotalSize() != to.TotalSize() {
		panic(fmt.Sprintf("reshape %v to %v", v.Shape, to))
	}
	if v.IsHost() {
		return hostView(v.Host, to)
	}
	st := make([]int, len(to))
	if v.Contiguous() {
		acc := 1
		for i := len(to) - 1; i >= 0; i-- {
			st[i] = acc
			acc *= to[i]
		}
		return withShape(v, to, st)
	}
	if v.RS == 0 && v.CS == 0 {
		return withShape(v, to, st)
	}
	// Same non-unit dimensions in the same order: keep their strides.
	var oldDims, oldSt []int
	for i, d := range v.Shape {
		if d != 1 {
			oldDims, oldSt = append(oldDims, d), append(oldSt, v.dimStrides()[i])
		}
	}
	j := 0
	for i, d := range to {
		if d == 1 {
			continue
		}
		if j >= len(oldDims) || oldDims[j] != d {
			return l.reshape(l.materialize(v, node+" (reshape)"), to, node)
		}
		st[i] = oldSt[j]
		j++
	}
	return withShape(v, to, st)
}
