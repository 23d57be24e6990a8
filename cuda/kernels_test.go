package cuda

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestKernelFunctionCodes checks that kernels.cu numbers the functions as
// lower.go does.
func TestKernelFunctionCodes(t *testing.T) {
	re := regexp.MustCompile(`(?m)^#define FN_([A-Z0-9]+) ([0-9]+)$`)
	ms := re.FindAllStringSubmatch(kernelSource, -1)
	if len(ms) != len(fnNames) {
		t.Fatalf("kernels.cu defines %d function codes, lower.go %d", len(ms), len(fnNames))
	}
	for _, m := range ms {
		code, _ := strconv.Atoi(m[2])
		if got := fnNames[code]; got != strings.ToLower(m[1]) {
			t.Errorf("code %d is %s in kernels.cu and %q in lower.go", code, m[1], got)
		}
	}
}

// TestKernelSyntax compiles kernels.cu with the host C++ compiler and a shim
// of CUDA's built-ins (syntax and types only: the GPU check runs them).
func TestKernelSyntax(t *testing.T) {
	gxx, err := exec.LookPath("g++")
	if err != nil {
		t.Skip("no g++: kernels.cu is checked by NVRTC on the GPU only")
	}
	for _, real := range []string{"float", "double"} {
		out, err := exec.Command(gxx, "-fsyntax-only", "-Wall", "-include", "testdata/cuda_shim.h", "-DREAL="+real, "-DREAL_IS_FLOAT="+map[string]string{"float": "1", "double": "0"}[real], "-x", "c++", "kernels.cu").CombinedOutput()
		if err != nil {
			t.Errorf("REAL=%s: %v\n%s", real, err, out)
		}
	}
}
