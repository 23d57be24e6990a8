package rundir

import (
	"runtime/debug"
	"sync"
	"testing"
)

// TestMemoryBudget: the limit is the sum of what the trainings in
// progress need, shared data counted once, released in any order; the
// process's limit from before comes back when the last one ends, also
// when trainings start and end on several goroutines at once.
func TestMemoryBudget(t *testing.T) {
	const before = 1 << 40
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(before))
	b := NewMemoryBudget()
	now := func() int64 { return debug.SetMemoryLimit(-1) }
	d1, d2 := new(int), new(int)
	r1 := b.reserve(d1, 1000, 0)  // a lone run on d1
	r2 := b.reserve(d1, 1000, 50) // a stack on the same data
	r3 := b.reserve(d2, 300, 7)   // a stack on other data
	if got := now(); got != 1000+50+300+7 {
		t.Errorf("three trainings: limit %d, want %d", got, 1357)
	}
	r1()
	r1() // a second release changes nothing
	if got := now(); got != 1000+50+300+7 {
		t.Errorf("the lone run released: limit %d, want 1357 (d1 still in use)", got)
	}
	r2()
	if got := now(); got != 307 {
		t.Errorf("d1's trainings released: limit %d, want 307", got)
	}
	r3()
	if got := now(); got != before {
		t.Errorf("all released: limit %d, want the limit from before, %d", got, before)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			key := any(d1)
			if i%2 == 1 {
				key = d2
			}
			release := b.reserve(key, 100, int64(i))
			release()
		}(i)
	}
	wg.Wait()
	if got := now(); got != before {
		t.Errorf("after concurrent trainings: limit %d, want %d", got, before)
	}
}
