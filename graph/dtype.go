package graph

import "fmt"

// ForDtype returns f32 for the dtype named "float32" and f64 for "float64":
// the one place where a dtype named at run time (by a configuration, a model
// file or a flag) picks the instantiation of generic code. Go cannot pass a
// generic function uninstantiated, so the caller passes both instantiations,
// whose type F must not mention T, and calls the one returned:
//
//	run, err := graph.ForDtype(cfg.Dtype, trainAs[float32], trainAs[float64])
//	if err != nil {
//		return err
//	}
//	return run(ctx, splits, cfg)
//
// Any other name is an error, whatever the caller validated before.
func ForDtype[F any](dtype string, f32, f64 F) (F, error) {
	switch dtype {
	case "float32":
		return f32, nil
	case "float64":
		return f64, nil
	}
	var none F
	return none, fmt.Errorf("dtype %q: want float64 or float32", dtype)
}
