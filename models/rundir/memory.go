package rundir

import (
	"runtime/debug"
	"sync"
)

// MemoryBudget keeps the process's soft memory limit (debug.SetMemoryLimit)
// at what the trainings in progress need: each adds its data's limit
// (models.MemoryLimit: 1.6× the splits' inputs) and its members' room
// (models.StackMemoryLimit's share for a stack) while it trains, data that
// several share counted once. Without a limit the collector let a 64-member
// float32 stack's evaluations grow a sweep's heap to 2.1× a lone run's; a
// limit set and restored by each training alone would be wrong as soon as
// two workers train at once (each one's, and restored out of order). The
// limit the process had before is set again when the last training ends.
// The zero value is not usable: NewMemoryBudget.
type MemoryBudget struct {
	mu     sync.Mutex
	data   map[any]*dataShare // by the prepared data in use
	extra  int64              // the trainings' own room, summed
	active int
	prev   int64 // the limit before the first training
}

type dataShare struct {
	limit int64
	users int
}

// NewMemoryBudget returns a budget that has not set any limit yet.
func NewMemoryBudget() *MemoryBudget { return &MemoryBudget{data: map[any]*dataShare{}} }

// reserve adds a training on the data key (data: that data's limit) that
// needs extra bytes of its own, sets the limit, and returns the release
// that takes them back.
func (b *MemoryBudget) reserve(key any, data, extra int64) (release func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.active == 0 {
		b.prev = debug.SetMemoryLimit(-1)
	}
	b.active++
	sh := b.data[key]
	if sh == nil {
		sh = &dataShare{limit: data}
		b.data[key] = sh
	}
	sh.users++
	b.extra += extra
	b.apply()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.extra -= extra
			if sh.users--; sh.users == 0 {
				delete(b.data, key)
			}
			if b.active--; b.active == 0 {
				debug.SetMemoryLimit(b.prev)
				return
			}
			b.apply()
		})
	}
}

// limit returns what the trainings in progress need; mu held.
func (b *MemoryBudget) limit() int64 {
	n := b.extra
	for _, sh := range b.data {
		n += sh.limit
	}
	return n
}

func (b *MemoryBudget) apply() { debug.SetMemoryLimit(b.limit()) }
