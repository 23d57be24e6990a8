package cuda

import (
	"fmt"
	"math"
)

// Elementwise and reduction functions, shared by all backends (the CUDA
// kernels switch on the same numbers: keep kernels.cu in step).
const (
	FnAdd = iota
	FnSub
	FnMul
	FnDiv
	FnPow
	FnLt
	FnGt
	FnLe
	FnGe
	FnEq
	FnNe
	FnExp
	FnLn
	FnNeg
	FnSquare
	FnSqrt
	FnAbs
	FnSign
	FnInv
	FnCube
	FnTanh
	FnSigmoid
	FnLog1p
	FnExpm1
	FnSum
	FnMax
	FnIdentity
)

var fnNames = map[int]string{
	FnAdd: "add", FnSub: "sub", FnMul: "mul", FnDiv: "div", FnPow: "pow",
	FnLt: "lt", FnGt: "gt", FnLe: "le", FnGe: "ge", FnEq: "eq", FnNe: "ne",
	FnExp: "exp", FnLn: "ln", FnNeg: "neg", FnSquare: "square", FnSqrt: "sqrt",
	FnAbs: "abs", FnSign: "sign", FnInv: "inv", FnCube: "cube", FnTanh: "tanh",
	FnSigmoid: "sigmoid", FnLog1p: "log1p", FnExpm1: "expm1",
	FnSum: "sum", FnMax: "max", FnIdentity: "identity",
}

// FnName names an elementwise or reduction function.
func FnName(fn int) string { return fnNames[fn] }

// applyFn computes an elementwise function in float64 (host scalars and the
// reference backend's float64 path).
func applyFn(fn int, x ...float64) float64 {
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	switch fn {
	case FnAdd:
		return x[0] + x[1]
	case FnSub:
		return x[0] - x[1]
	case FnMul:
		return x[0] * x[1]
	case FnDiv:
		return x[0] / x[1]
	case FnPow:
		return math.Pow(x[0], x[1])
	case FnLt:
		return b2f(x[0] < x[1])
	case FnGt:
		return b2f(x[0] > x[1])
	case FnLe:
		return b2f(x[0] <= x[1])
	case FnGe:
		return b2f(x[0] >= x[1])
	case FnEq:
		return b2f(x[0] == x[1])
	case FnNe:
		return b2f(x[0] != x[1])
	case FnExp:
		return math.Exp(x[0])
	case FnLn:
		return math.Log(x[0])
	case FnNeg:
		return -x[0]
	case FnSquare:
		return x[0] * x[0]
	case FnSqrt:
		return math.Sqrt(x[0])
	case FnAbs:
		return math.Abs(x[0])
	case FnSign:
		switch {
		case x[0] > 0:
			return 1
		case x[0] < 0:
			return -1
		}
		return 0
	case FnInv:
		return 1 / x[0]
	case FnCube:
		return x[0] * x[0] * x[0]
	case FnTanh:
		return math.Tanh(x[0])
	case FnSigmoid:
		return 1 / (1 + math.Exp(-x[0]))
	case FnLog1p:
		return math.Log1p(x[0])
	case FnExpm1:
		return math.Expm1(x[0])
	case FnIdentity:
		return x[0]
	}
	panic(fmt.Sprintf("function %d", fn))
}
