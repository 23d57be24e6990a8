package graph

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunParts: every part runs exactly once and runParts returns only
// after all of them, for one caller at a time (on the helpers, awake or
// asleep) and for several at once (the others on goroutines of their own).
func TestRunParts(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	check := func(parts int) {
		counts := make([]atomic.Int32, parts)
		runParts(parts, 3, func(i int) {
			time.Sleep(time.Microsecond)
			counts[i].Add(1)
		})
		for i := range counts {
			if n := counts[i].Load(); n != 1 {
				t.Errorf("part %d of %d ran %d times", i, parts, n)
			}
		}
	}
	check(1)
	check(37)
	time.Sleep(3 * helperSpin) // the helpers asleep
	check(37)
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 20; r++ {
				check(13)
			}
		}()
	}
	wg.Wait()
}
