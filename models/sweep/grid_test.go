package sweep

import (
	"context"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/models/config"
)

func TestGridPlan(t *testing.T) {
	opt := Options{Base: config.DefaultConfig()}
	p, err := GridPlan(context.Background(), []string{"lambda=0,0.01", "eta = 0.001, 0.01", "loss=svm"}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Runs) != 4 || !strings.HasPrefix(p.Name, "grid-") {
		t.Fatalf("%s: %d runs", p.Name, len(p.Runs))
	}
	seen := map[[2]float64]bool{}
	for _, r := range p.Runs {
		if r.Config.Loss != "svm" || r.Config.Epochs != 40 {
			t.Errorf("run %s: %+v", r.ID, r.Config)
		}
		seen[[2]float64{r.Config.Lambda, r.Config.Eta}] = true
	}
	if len(seen) != 4 || !seen[[2]float64{0.01, 0.001}] {
		t.Errorf("grid points %v", seen)
	}
	// The same grid is the same sweep; another one is not.
	q, _ := GridPlan(context.Background(), []string{"lambda=0,0.01", "eta = 0.001, 0.01", "loss=svm"}, opt)
	r, _ := GridPlan(context.Background(), []string{"lambda=0,0.1", "eta=0.001,0.01", "loss=svm"}, opt)
	if q.Name != p.Name || r.Name == p.Name {
		t.Errorf("names %s %s %s", p.Name, q.Name, r.Name)
	}
	for _, c := range []struct {
		axes []string
		want string
	}{
		{nil, "no axis"},
		{[]string{"lambda"}, "want key=value"},
		{[]string{"lambda=0,,1"}, `value ""`},
		{[]string{"etta=0.1"}, "--grid: etta: unknown key (did you mean \"eta\"?)"},
		{[]string{"lambda=-1"}, "lambda"},
		{[]string{"eta=fast"}, "want a number"},
	} {
		if _, err := GridPlan(context.Background(), c.axes, opt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.axes, err, c.want)
		}
	}
}
