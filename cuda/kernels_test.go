package cuda

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestKernelFunctionCodes checks that kernels.cu numbers the functions as
// fn.go does.
func TestKernelFunctionCodes(t *testing.T) {
	re := regexp.MustCompile(`(?m)^#define FN_([A-Z0-9]+) ([0-9]+)$`)
	ms := re.FindAllStringSubmatch(kernelSource, -1)
	if len(ms) != len(fnNames) {
		t.Fatalf("kernels.cu defines %d function codes, fn.go %d", len(ms), len(fnNames))
	}
	for _, m := range ms {
		code, _ := strconv.Atoi(m[2])
		if got := fnNames[code]; got != strings.ToLower(m[1]) {
			t.Errorf("code %d is %s in kernels.cu and %q in fn.go", code, m[1], got)
		}
	}
}

// TestKernelNames checks that the backend loads every kernel of
// kernels.cu and no other.
func TestKernelNames(t *testing.T) {
	re := regexp.MustCompile(`extern "C" __global__ void (?:__launch_bounds__\([A-Z_0-9]+\) )?([a-z_]+)\(`)
	var got []string
	for _, m := range re.FindAllStringSubmatch(kernelSource, -1) {
		got = append(got, m[1])
	}
	if strings.Join(got, " ") != strings.Join(kernelNames, " ") {
		t.Errorf("kernels.cu defines %v; the backend loads %v", got, kernelNames)
	}
}

// TestKernelFusedConstants checks the fused kernel's limits against fuse.go.
func TestKernelFusedConstants(t *testing.T) {
	for _, c := range []struct {
		def  string
		want int
	}{{"#define MAX_FUSED_OPS " + strconv.Itoa(MaxFusedOps), MaxFusedOps}, {"#define NO_OPERAND (1LL << 30)", NoOperand}, {"#define SEGMENT_BLOCK " + strconv.Itoa(SegmentBlock), SegmentBlock}, {"#define FIN_BYTES 40", 40}, {"#define FOP_BYTES 32", 32}, {"#define MAX_FUSED_INS (2 * MAX_FUSED_OPS)", 2 * MaxFusedOps}} {
		if !strings.Contains(kernelSource, c.def+"\n") {
			t.Errorf("kernels.cu lacks %q (fuse.go: %d)", c.def, c.want)
		}
	}
	if NoOperand != 1<<30 {
		t.Errorf("NoOperand is %d; kernels.cu has 1 << 30", NoOperand)
	}
}

// TestKernelSyntax compiles kernels.cu with the host C++ compiler and a shim
// of CUDA's built-ins (syntax and types only: the GPU check runs them).
func TestKernelSyntax(t *testing.T) {
	gxx := lookGXX(t, "kernels.cu is checked by NVRTC on the GPU only")
	for _, real := range []string{"float", "double"} {
		out, err := exec.Command(gxx, "-fsyntax-only", "-Wall", "-include", "testdata/cuda_shim.h", "-DREAL="+real, "-DREAL_IS_FLOAT="+map[string]string{"float": "1", "double": "0"}[real], "-x", "c++", "kernels.cu").CombinedOutput()
		if err != nil {
			t.Errorf("REAL=%s: %v\n%s", real, err, out)
		}
	}
}
