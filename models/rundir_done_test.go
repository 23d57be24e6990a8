package models

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestFinishedRun(t *testing.T) {
	cfg := DefaultConfig()
	other := cfg
	other.Lambda = 0.5
	for _, c := range []struct {
		name                 string
		ckCfg                *Config // nil: no checkpoint
		finished             bool
		model                bool
		result               *Result // nil: no result.json
		wantFinished, wantOK bool
		wantMissing          string
	}{
		{"complete", &cfg, true, true, &Result{ConfigHash: cfg.Hash()}, true, true, "[]"},
		{"no model", &cfg, true, false, &Result{ConfigHash: cfg.Hash()}, true, false, "[model.json]"},
		{"no result", &cfg, true, true, nil, true, false, "[result.json]"},
		{"partial result", &cfg, true, true, &Result{ConfigHash: cfg.Hash(), Partial: true}, true, false, "[result.json]"},
		{"result of another run", &cfg, true, false, &Result{ConfigHash: other.Hash()}, true, false, "[model.json result.json]"},
		{"unfinished", &cfg, false, true, &Result{ConfigHash: cfg.Hash()}, false, false, "[]"},
		{"no checkpoint", nil, false, true, &Result{ConfigHash: cfg.Hash()}, false, false, "[]"},
		{"checkpoint of another run", &other, true, true, &Result{ConfigHash: cfg.Hash()}, false, false, "[]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := WriteConfig(dir, &cfg); err != nil {
				t.Fatal(err)
			}
			if c.ckCfg != nil {
				ck := &Checkpoint{Version: 1, ConfigHash: c.ckCfg.Hash(), Dtype: c.ckCfg.Dtype, Finished: c.finished, W: floats{1}, B: floats{1}}
				if err := WriteCheckpoint(dir, ck); err != nil {
					t.Fatal(err)
				}
			}
			if c.model {
				os.WriteFile(filepath.Join(dir, ModelFile), []byte("{}\n"), 0o644)
			}
			if c.result != nil {
				if err := WriteResult(dir, c.result); err != nil {
					t.Fatal(err)
				}
			}
			res, missing, finished := FinishedRun(dir, &cfg)
			if finished != c.wantFinished || (res != nil) != c.wantOK || fmt.Sprint(missing) != c.wantMissing {
				t.Errorf("finished %v, result %v, missing %v; want %v, %v, %s", finished, res != nil, missing, c.wantFinished, c.wantOK, c.wantMissing)
			}
		})
	}
}
