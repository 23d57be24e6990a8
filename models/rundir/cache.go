package rundir

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/config"
)

// DataCache reads each dataset once per process and normalizes it once
// per dtype: runs of a sweep that share their data section share the
// memory (training only reads it). Entries are keyed by the data section
// of the configuration (and the dtype for the normalized splits). When the
// runner told it which runs will come (Expect) and which have finished
// (Release), an entry is dropped after its last run; without Expect,
// entries stay for the life of the cache.
type DataCache struct {
	load func(config.DataConfig) (*data.Splits, error)

	mu       sync.Mutex
	raw      map[string]*cacheEntry // by data key
	prepared map[string]*cacheEntry // by data key + dtype
	pending  map[string]int         // prepared key → runs still to come
	loads    int                    // datasets read, for tests
}

type cacheEntry struct {
	once sync.Once
	val  any
	err  error
}

// NewDataCache returns a cache that reads with load (nil: models.LoadSplits).
func NewDataCache(load func(config.DataConfig) (*data.Splits, error)) *DataCache {
	if load == nil {
		load = models.LoadSplits
	}
	return &DataCache{load: load, raw: map[string]*cacheEntry{}, prepared: map[string]*cacheEntry{}, pending: map[string]int{}}
}

func dataKey(dc config.DataConfig) string {
	b, _ := json.Marshal(dc)
	return string(b)
}

func preparedKey(cfg config.Config) string { return cfg.Dtype + "|" + dataKey(cfg.Data) }

// Expect says that a run of cfg will use the cache.
func (c *DataCache) Expect(cfg config.Config) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending[preparedKey(cfg)]++
}

// Release says that a run of cfg, announced by Expect, has finished; the
// data it used are dropped when no announced run needs them any more.
func (c *DataCache) Release(cfg config.Config) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := preparedKey(cfg)
	if c.pending[k] == 0 {
		return
	}
	c.pending[k]--
	if c.pending[k] > 0 {
		return
	}
	delete(c.pending, k)
	delete(c.prepared, k)
	dk := dataKey(cfg.Data)
	for pk := range c.pending {
		if strings.HasSuffix(pk, "|"+dk) {
			return // another dtype still needs the raw images
		}
	}
	delete(c.raw, dk)
}

// Loads returns how many datasets the cache has read.
func (c *DataCache) Loads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loads
}

// Splits returns the splits that dc names, read once.
func (c *DataCache) Splits(dc config.DataConfig) (*data.Splits, error) {
	v, err := c.get(c.raw, dataKey(dc), func() (any, error) {
		s, err := c.load(dc)
		c.mu.Lock()
		c.loads++
		c.mu.Unlock()
		return s, err
	})
	if err != nil {
		return nil, err
	}
	return v.(*data.Splits), nil
}

// Prepared returns cfg's data normalized as T, computed once per data
// section and dtype. T must match cfg.Dtype.
func Prepared[T graph.Float](c *DataCache, cfg config.Config) (*models.Prepared[T], error) {
	if want := graph.Dtype[T]().String(); cfg.Dtype != want {
		return nil, fmt.Errorf("dtype %s: asked for %s data", cfg.Dtype, want)
	}
	v, err := c.get(c.prepared, preparedKey(cfg), func() (any, error) {
		s, err := c.Splits(cfg.Data)
		if err != nil {
			return nil, err
		}
		return models.Prepare[T](s), nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*models.Prepared[T]), nil
}

// get returns the entry k of m, computing it once with compute; concurrent
// callers wait for the one computation. A failed entry is dropped, so
// that a later call tries again.
func (c *DataCache) get(m map[string]*cacheEntry, k string, compute func() (any, error)) (any, error) {
	c.mu.Lock()
	e, ok := m[k]
	if !ok {
		e = &cacheEntry{}
		m[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.val, e.err = compute() })
	if e.err != nil {
		c.forget(m, k, e)
		return nil, e.err
	}
	return e.val, nil
}

// forget drops a failed entry so that a later call tries again.
func (c *DataCache) forget(m map[string]*cacheEntry, k string, e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m[k] == e {
		delete(m, k)
	}
}
