package models

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/models/runfiles"
)

// FuzzDecodeModel: any bytes give a validated model or an error of one
// line, never a panic; an accepted model predicts finite probabilities
// summing to 1 on any image, and its float32 scores do not overflow.
//
// A valid model.json holds ~40000 numbers, too large an input for the
// fuzzer to mutate and minimize quickly, so besides arbitrary bytes (raw)
// each input also builds a model.json of the right shape whose arrays
// cycle through short comma-separated lists of number texts (w, b, mean,
// std), which the fuzzer mutates into nulls, 1e308, -0, 1e-400, garbage.
func FuzzDecodeModel(f *testing.F) {
	f.Add([]byte(`{"version":1,"k":2,"d":3,"w":[1],"b":[0,0]}`), "0.5,-0.25", "0", "0.5", "0.25", uint8(0))
	f.Add([]byte(`{"version":1,"dtype":"float32","k":1,"d":3072,"classes":["a"],"w":[],"b":[0]}`), "1e6,-1e6", "1e6", "0,1", "1e-9", uint8(1))
	f.Add([]byte(`{}`), "1e308", "0", "0.5", "0.25", uint8(2))
	f.Add([]byte(`null`), "0.1,null", "0", "0.5", "0", uint8(3))
	f.Add([]byte(`{"w":[null]}`), "0.1", "0", "0.5", "-1", uint8(4))
	f.Fuzz(func(t *testing.T, raw []byte, w, b, mean, std string, seed uint8) {
		checkDecoded(t, raw, seed)
		k, d := data.NumClasses, data.ImageSize
		doc := fmt.Sprintf(`{"version":1,"dtype":"float32","k":%d,"d":%d,"classes":["a","b","c","d","e","f","g","h","i","j"],`+
			`"w":[%s],"b":[%s],"mean":[%s],"std":[%s]}`, k, d, cycle(w, k*d), cycle(b, k), cycle(mean, d), cycle(std, d))
		checkDecoded(t, []byte(doc), seed)
	})
}

// cycle returns n comma-separated items cycling through the items of
// list, cut to 64 bytes so that an input stays cheap.
func cycle(list string, n int) string {
	items := strings.Split(list[:min(len(list), 64)], ",")
	out := make([]string, n)
	for i := range out {
		out[i] = items[i%len(items)]
	}
	return strings.Join(out, ",")
}

// checkDecoded decodes raw and, if it is accepted, predicts with it.
func checkDecoded(t *testing.T, raw []byte, seed uint8) {
	m, err := runfiles.DecodeModel(raw)
	if err != nil {
		if msg := err.Error(); msg == "" || strings.Contains(msg, "\n") {
			t.Fatalf("error %q: want one line", msg)
		}
		return
	}
	for _, img := range fuzzImages(m, seed) {
		p, err := Predict(m, img)
		if err != nil {
			t.Fatalf("accepted model fails to predict: %v", err)
		}
		var sum float64
		for _, v := range p.Probs {
			if math.IsNaN(v) || v < 0 || v > 1 {
				t.Fatalf("probability %v", v)
			}
			sum += v
		}
		if p.Class < 0 || p.Class >= m.K || math.Abs(sum-1) > 1e-9 {
			t.Fatalf("class %d of %d, probabilities summing to %v", p.Class, m.K, sum)
		}
		checkFloat32Scores(t, m, img)
	}
}

// fuzzImages returns images that drive the scores of m far: all black, all
// white, one of the seed's pattern, and the one that maximizes class 0's
// score (each pixel at the end of [0, 255] its weight favours).
func fuzzImages(m *runfiles.Model, seed uint8) [][]uint8 {
	black, white, pattern, worst := make([]uint8, m.D), make([]uint8, m.D), make([]uint8, m.D), make([]uint8, m.D)
	for j := range m.D {
		white[j], pattern[j] = 255, uint8(j*int(seed+1))
		if m.W[j] > 0 {
			worst[j] = 255
		}
	}
	return [][]uint8{black, white, pattern, worst}
}

// checkFloat32Scores fails t if a score of m on img overflows float32,
// as the float32 engines compute them.
func checkFloat32Scores(t *testing.T, m *runfiles.Model, img []uint8) {
	x := make([]float32, m.D)
	data.Normalize(x, img, m.Normalizer())
	for k := range m.K {
		acc := float32(m.B[k])
		for j, w := range m.W[k*m.D : (k+1)*m.D] {
			acc += float32(w) * x[j]
		}
		if math.IsInf(float64(acc), 0) || math.IsNaN(float64(acc)) {
			t.Fatalf("float32 score of class %d overflows: %v", k, acc)
		}
	}
}
