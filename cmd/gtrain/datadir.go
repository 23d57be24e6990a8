package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/data"
)

// dataDefault is the help of --data for the commands that read CIFAR-10.
const dataDefault = "default: $CIFAR10_DIR, else the data 'gtrain data download' put in the cache directory"

// defaultDataDir is the CIFAR-10 of a command given no --data (and no
// data.dir in its config): $CIFAR10_DIR, else what 'gtrain data download'
// put into the user's cache directory; "" when there is neither.
func defaultDataDir() string {
	if env := os.Getenv("CIFAR10_DIR"); env != "" {
		return absPath(env)
	}
	if cache, err := data.DefaultCacheDir(); err == nil {
		return data.Downloaded(cache)
	}
	return ""
}

// dataDir is --data, else the default data; without either it is an error
// saying how to get the data.
func dataDir(c *cli.Context) (string, error) {
	if d := c.String("data"); d != "" {
		return absPath(d), nil
	}
	if d := defaultDataDir(); d != "" {
		return d, nil
	}
	return "", errNoData()
}

func errNoData() error {
	where := "the cache directory"
	if cache, err := data.DefaultCacheDir(); err == nil {
		where = cache
	}
	return fmt.Errorf("no data directory: give --data DIR, set CIFAR10_DIR, or run 'gtrain data download' (it puts CIFAR-10 into %s, where it is found)", where)
}
