package runfiles

import "github.com/gtrain/gtrain/models/config"

// FinishedRun tells whether dir holds the finished training of cfg:
// config.json of cfg's hash and a finished checkpoint. When it does, res is
// the run's result and missing is empty if model.json and a (not partial)
// result.json of cfg are there too, so that training again would only
// repeat it; otherwise missing names the files that are not.
func FinishedRun(dir string, cfg *config.Config) (res *Result, missing []string, finished bool) {
	old, err := ReadConfig(dir)
	if err != nil || old.Hash() != cfg.Hash() {
		return nil, nil, false
	}
	ck, err := ReadCheckpoint(dir, cfg)
	if err != nil || !ck.Finished {
		return nil, nil, false
	}
	if _, err := ReadModel(dir); err != nil {
		missing = append(missing, ModelFile)
	}
	res, err = ReadResult(dir)
	if err != nil || res.Partial || res.ConfigHash != cfg.Hash() {
		res = nil
		missing = append(missing, ResultFile)
	}
	if len(missing) > 0 {
		res = nil
	}
	return res, missing, true
}
