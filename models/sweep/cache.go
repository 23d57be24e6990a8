package sweep

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
)

// DataCache reads each dataset once per process and normalizes it once
// per dtype: runs of a sweep that share their data section share the
// memory (training only reads it). Entries are keyed by the data section
// of the configuration (and the dtype for the normalized splits). When the
// runner told it which runs will come (Expect) and which have finished
// (Release), an entry is dropped after its last run; without Expect,
// entries stay for the life of the cache.
type DataCache struct {
	load func(models.DataConfig) (*data.Splits, error)

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
func NewDataCache(load func(models.DataConfig) (*data.Splits, error)) *DataCache {
	if load == nil {
		load = models.LoadSplits
	}
	return &DataCache{load: load, raw: map[string]*cacheEntry{}, prepared: map[string]*cacheEntry{}, pending: map[string]int{}}
}

func dataKey(dc models.DataConfig) string {
	b, _ := json.Marshal(dc)
	return string(b)
}

func preparedKey(cfg models.Config) string { return cfg.Dtype + "|" + dataKey(cfg.Data) }

// Expect says that a run of cfg will use the cache.
func (c *DataCache) Expect(cfg models.Config) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending[preparedKey(cfg)]++
}

// Release says that a run of cfg, announced by Expect, has finished; the
// data it used are dropped when no announced run needs them any more.
func (c *DataCache) Release(cfg models.Config) {
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
func (c *DataCache) Splits(dc models.DataConfig) (*data.Splits, error) {
	k := dataKey(dc)
	c.mu.Lock()
	e, ok := c.raw[k]
	if !ok {
		e = &cacheEntry{}
		c.raw[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		s, err := c.load(dc)
		e.val, e.err = s, err
		c.mu.Lock()
		c.loads++
		c.mu.Unlock()
	})
	if e.err != nil {
		c.forget(c.raw, k, e)
		return nil, e.err
	}
	return e.val.(*data.Splits), nil
}

// Prepared returns cfg's data normalized as T, computed once per data
// section and dtype. T must match cfg.Dtype.
func Prepared[T graph.Float](c *DataCache, cfg models.Config) (*models.Prepared[T], error) {
	if want := graph.Dtype[T]().String(); cfg.Dtype != want {
		return nil, fmt.Errorf("dtype %s: asked for %s data", cfg.Dtype, want)
	}
	k := preparedKey(cfg)
	c.mu.Lock()
	e, ok := c.prepared[k]
	if !ok {
		e = &cacheEntry{}
		c.prepared[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		s, err := c.Splits(cfg.Data)
		if err != nil {
			e.err = err
			return
		}
		e.val = models.Prepare[T](s)
	})
	if e.err != nil {
		c.forget(c.prepared, k, e)
		return nil, e.err
	}
	return e.val.(*models.Prepared[T]), nil
}

// forget drops a failed entry so that a later call tries again.
func (c *DataCache) forget(m map[string]*cacheEntry, k string, e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m[k] == e {
		delete(m, k)
	}
}
