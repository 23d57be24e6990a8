package graph

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// chunkHelpers are the goroutines that take chunks of forChunks beside its
// caller. A goroutine started for each product began so late here that a
// 16-member float32 step ran as fast on one core as on two: in this
// VM an idle processor sleeps, and waking it costs about as long as the
// product. The helpers instead stay on their processor for helperSpin
// after a product, ready for the next one of the step, and only then
// sleep until one comes. One product at a time uses them; another that
// starts meanwhile starts goroutines of its own, as before.
type chunkHelpers struct {
	once    sync.Once
	busy    atomic.Bool              // a product holds the helpers
	job     atomic.Pointer[chunkJob] // the product in progress; nil between products
	wake    chan struct{}            // a sleeping helper is woken by a send
	helpers int
}

// chunkJob is one product's chunks: next is the next chunk to claim, active
// the helpers working on it.
type chunkJob struct {
	next   atomic.Int64
	active atomic.Int64
	limit  int64 // the most helpers that take chunks of it
	chunks int
	run    func(c int)
}

// helperSpin is how long a helper stays awake after a product: longer
// than the elementwise work between a step's products (0.2–0.5 ms).
const helperSpin = time.Millisecond

var helpers chunkHelpers

// claim runs chunks of j until none is left.
func (j *chunkJob) claim() {
	for {
		c := int(j.next.Add(1) - 1)
		if c >= j.chunks {
			return
		}
		j.run(c)
	}
}

// start starts the helpers on the first use: n of them (GOMAXPROCS − 1
// then).
func (h *chunkHelpers) start(n int) {
	h.once.Do(func() {
		h.helpers = n
		h.wake = make(chan struct{}, n)
		for i := 0; i < n; i++ {
			go h.loop()
		}
	})
}

func (h *chunkHelpers) loop() {
	for {
		deadline := time.Now().Add(helperSpin)
		for h.job.Load() == nil && time.Now().Before(deadline) {
			runtime.Gosched()
		}
		if h.job.Load() == nil {
			<-h.wake
		}
		if j := h.job.Load(); j != nil {
			if j.active.Add(1) <= j.limit {
				j.claim()
			}
			j.active.Add(-1)
		}
	}
}

// runChunks runs the chunks with the helpers if they are free (with up to
// workers−1 of them, the caller taking chunks too), else it reports false.
func (h *chunkHelpers) runChunks(chunks, workers int, run func(c int)) bool {
	h.start(min(maxParts, runtime.GOMAXPROCS(0)) - 1)
	if h.helpers == 0 || !h.busy.CompareAndSwap(false, true) {
		return false
	}
	defer h.busy.Store(false)
	j := &chunkJob{chunks: chunks, run: run, limit: int64(workers - 1)}
	h.job.Store(j)
	for i := 0; i < min(workers-1, h.helpers); i++ {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
	j.claim()
	h.job.Store(nil)
	for j.active.Load() > 0 { // a helper is finishing its last chunk
		runtime.Gosched()
	}
	return true
}

// Parallel runs part(0), …, part(parts−1) on up to as many goroutines as a
// product may use (BLASOptions.Threads), the caller's and the product
// helpers' (woken at once within a step, where a new goroutine would start
// late), each taking the next part until none is left: for independent,
// memory-bound passes such as a stack's per-member updates.
func Parallel(parts int, part func(i int)) {
	workers := min(threads(), maxParts, parts)
	if workers <= 1 {
		for i := 0; i < parts; i++ {
			part(i)
		}
		return
	}
	runParts(parts, workers, part)
}

// runParts runs part(0), …, part(parts−1) on the caller and up to
// workers−1 helpers, or as many new goroutines while another product holds
// the helpers, each taking the next part until none is left.
func runParts(parts, workers int, part func(i int)) {
	if helpers.runChunks(parts, workers, part) {
		return
	}
	j := &chunkJob{chunks: parts, run: part}
	var wg sync.WaitGroup
	wg.Add(workers - 1)
	for w := 0; w < workers-1; w++ {
		go func() {
			defer wg.Done()
			j.claim()
		}()
	}
	j.claim()
	wg.Wait()
}
