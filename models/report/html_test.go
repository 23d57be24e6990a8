package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gtrain/gtrain/data/datatest"
)

// writeTestReport writes three run directories (two cross-entropy runs,
// one SVM run with an augmentation grid) and report.html over them, and
// returns the report's path and the runs.
func writeTestReport(t *testing.T) (string, []*Run) {
	t.Helper()
	root := t.TempDir()
	var runs []*Run
	for i, c := range []struct {
		name string
		loss string
		acc  float64
	}{{"model-1", "cross", 0.2844}, {"model-3", "cross", 0.3924}, {"svm-1", "svm", 0.3512}} {
		dir := filepath.Join(root, c.name)
		writeTestRun(t, dir, cfgWith(c.loss, 0.1, 0.001, 5, 100), c.acc, uint64(i))
		if c.loss == "svm" {
			img := make([]uint8, ImageDim)
			for j := range img {
				img[j] = uint8(j)
			}
			g, err := AugmentationGrid([][]uint8{img}, [][][]uint8{{img, img}}, 2)
			if err != nil {
				t.Fatal(err)
			}
			if err := WritePNG(filepath.Join(dir, AugmentPNG), g); err != nil {
				t.Fatal(err)
			}
		}
		if err := EnsurePictures(dir); err != nil {
			t.Fatal(err)
		}
		r, err := ReadRun(dir)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	tb := NewTable(runs)
	if err := tb.Sort("-test_accuracy"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, "gtrain test report", tb); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "report.html")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, runs
}

var dataURI = regexp.MustCompile(`<img class="picture" src="data:image/png;base64,([A-Za-z0-9+/=]+)"`)

// TestHTMLSelfContained checks the report without a browser: every run
// has a section, and every picture is an embedded PNG that decodes to the
// size it was drawn at.
func TestHTMLSelfContained(t *testing.T) {
	path, runs := writeTestReport(t)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, r := range runs {
		if !strings.Contains(html, "<h2>"+r.Name+"</h2>") {
			t.Errorf("no section for %s", r.Name)
		}
	}
	for _, s := range []string{"<h2>cross-entropy loss</h2>", "<h2>SVM loss</h2>", "<td class=\"num\">39.24</td>"} {
		if !strings.Contains(html, s) {
			t.Errorf("report lacks %q", s)
		}
	}
	if strings.Contains(html, "src=\"http") || strings.Contains(html, "src=\"file") || strings.Contains(html, "ZgotmplZ") {
		t.Error("report refers to outside files")
	}
	m := dataURI.FindAllStringSubmatch(html, -1)
	if len(m) != 7 { // curves and montage of three runs, one augmentation grid
		t.Fatalf("%d embedded pictures, want 7", len(m))
	}
	sizes := map[string]int{}
	for _, sm := range m {
		raw, err := base64.StdEncoding.DecodeString(sm[1])
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		sizes[name("%dx%d", b.Dx(), b.Dy())]++
	}
	want := map[string]int{"1200x450": 3, "688x312": 3, "224x96": 1}
	for k, n := range want {
		if sizes[k] != n {
			t.Errorf("%d pictures of %s, want %d (all: %v)", sizes[k], k, n, sizes)
		}
	}
}

// chromium returns the headless browser's path, or "" when there is none.
func chromium() string {
	if p := os.Getenv("GTRAIN_CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// checkScript marks, once the page has loaded, how many pictures the
// browser decoded and their sizes.
const checkScript = `<script>
window.addEventListener('load', function () {
  var imgs = document.querySelectorAll('img.picture'), ok = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;
    imgs[i].setAttribute('data-natural', imgs[i].naturalWidth + 'x' + imgs[i].naturalHeight);
  }
  var p = document.createElement('p');
  p.id = 'gtrain-check';
  p.textContent = 'DECODED ' + ok + '/' + imgs.length + ' SECTIONS ' + document.querySelectorAll('section.run').length;
  document.body.appendChild(p);
});
</script>
</body>`

// dumpDOM loads the HTML file at path in headless Chromium with a check
// script added and returns the DOM after the load event.
func dumpDOM(t *testing.T, browser, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checked := filepath.Join(filepath.Dir(path), "checked-"+filepath.Base(path))
	if err := os.WriteFile(checked, []byte(strings.Replace(string(b), "</body>", checkScript, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--dump-dom", "file://"+checked)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", browser, err, stderr.String())
	}
	return string(out)
}

// TestHTMLInBrowser loads report.html in headless Chromium: it must show
// every run and every picture must decode. A report with a corrupted
// picture is the control that the check can fail.
func TestHTMLInBrowser(t *testing.T) {
	browser := chromium()
	if browser == "" {
		datatest.Missing(t, "GTRAIN_REQUIRE_CHROMIUM", "no chromium in PATH (nor GTRAIN_CHROMIUM): the headless-browser check of report.html is skipped; .ci/run installs Debian's chromium")
	}
	path, runs := writeTestReport(t)
	dom := dumpDOM(t, browser, path)
	if !strings.Contains(dom, "DECODED 7/7 SECTIONS 3") {
		i := strings.Index(dom, "gtrain-check")
		t.Fatalf("browser check failed: %q", dom[max(0, i):min(len(dom), i+80)])
	}
	for _, r := range runs {
		if !strings.Contains(dom, "<h2>"+r.Name+"</h2>") {
			t.Errorf("browser shows no section for %s", r.Name)
		}
	}
	for size, n := range map[string]int{"1200x450": 3, "688x312": 3, "224x96": 1} {
		if got := strings.Count(dom, `data-natural="`+size+`"`); got != n {
			t.Errorf("browser decoded %d pictures of %s, want %d", got, size, n)
		}
	}

	// Control: a picture whose PNG data is cut short does not decode.
	b, _ := os.ReadFile(path)
	m := dataURI.FindStringSubmatchIndex(string(b))
	broken := string(b[:m[2]]) + "iVBORw0KGgoAAAANSUhEUgAA" + string(b[m[3]:])
	bad := filepath.Join(filepath.Dir(path), "broken.html")
	os.WriteFile(bad, []byte(broken), 0o644)
	if dom := dumpDOM(t, browser, bad); !strings.Contains(dom, "DECODED 6/7 SECTIONS 3") {
		t.Error("control: the check did not notice a picture that cannot decode")
	}
}
