package runfiles

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gtrain/gtrain/models/config"
)

func TestFinishedRun(t *testing.T) {
	cfg := config.DefaultConfig()
	other := cfg
	other.Lambda = 0.5
	for _, c := range []struct {
		name                 string
		ckCfg                *config.Config // nil: no checkpoint
		finished             bool
		model                string  // "good", "bad" (refused by ReadModel) or "": none
		result               *Result // nil: no result.json
		wantFinished, wantOK bool
		wantMissing          string
	}{
		{"complete", &cfg, true, "good", &Result{ConfigHash: cfg.Hash()}, true, true, "[]"},
		{"no model", &cfg, true, "", &Result{ConfigHash: cfg.Hash()}, true, false, "[model.json]"},
		{"no result", &cfg, true, "good", nil, true, false, "[result.json]"},
		{"partial result", &cfg, true, "good", &Result{ConfigHash: cfg.Hash(), Partial: true}, true, false, "[result.json]"},
		{"bad model", &cfg, true, "bad", &Result{ConfigHash: cfg.Hash()}, true, false, "[model.json]"},
		{"result of another run", &cfg, true, "", &Result{ConfigHash: other.Hash()}, true, false, "[model.json result.json]"},
		{"unfinished", &cfg, false, "good", &Result{ConfigHash: cfg.Hash()}, false, false, "[]"},
		{"no checkpoint", nil, false, "good", &Result{ConfigHash: cfg.Hash()}, false, false, "[]"},
		{"checkpoint of another run", &other, true, "good", &Result{ConfigHash: cfg.Hash()}, false, false, "[]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := WriteConfig(dir, &cfg); err != nil {
				t.Fatal(err)
			}
			if c.ckCfg != nil {
				ck := &Checkpoint{Version: CheckpointVersion, ConfigHash: c.ckCfg.Hash(), Dtype: c.ckCfg.Dtype, Finished: c.finished, W: Floats{1}, B: Floats{1}}
				if err := WriteCheckpoint(dir, ck); err != nil {
					t.Fatal(err)
				}
			}
			switch c.model {
			case "good":
				if err := WriteModel(dir, validModel()); err != nil {
					t.Fatal(err)
				}
			case "bad":
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
