package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/models/report"
	"github.com/gtrain/gtrain/models/runfiles"
)

// reportCommand is 'gtrain report RUN_DIR...': the comparison table of
// runs on stdout and, with --html, a self-contained HTML report with every
// run's curves and montage.
func reportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "compare runs: print their table, and with --html write an HTML report with their pictures",
		ArgsUsage: "RUN_DIR...",
		Description: "Reads config.json and result.json of each run directory (a directory holding none\n" +
			"stands for the run directories in it) and prints the comparison table: loss, lambda,\n" +
			"eta, epochs, batch size, decay, shuffle, augmentation and schedule when some run has\n" +
			"them, test accuracy in %. Markdown prints one table per loss. Runs of a sweep directory\n" +
			"(its sweep.json) that state published figures (expect:) get a second table: published,\n" +
			"measured, difference and ✓/✗ per figure. --html writes a\n" +
			"self-contained page with the table and each run's curves and class-template montage,\n" +
			"drawing curves.png, curves.svg and weights.png into a run directory that lacks them.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: "markdown", Usage: "table format: markdown or csv"},
			&cli.StringFlag{Name: "sort", Usage: "sort by this column (e.g. test_accuracy, lambda, eta); prefix - for descending"},
			&cli.StringFlag{Name: "html", Usage: "also write the HTML report to `FILE`"},
			&cli.StringFlag{Name: "title", Value: "gtrain report", Usage: "title of the HTML report"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return fmt.Errorf("report: name at least one run directory")
			}
			format := c.String("format")
			if format != "markdown" && format != "csv" {
				return fmt.Errorf("--format %q: want markdown or csv", format)
			}
			dirs, err := runDirs(c.Args().Slice())
			if err != nil {
				return err
			}
			runs := make([]*report.Run, len(dirs))
			for i, d := range dirs {
				if runs[i], err = report.ReadRun(d); err != nil {
					return err
				}
			}
			if err := attachPlans(runs); err != nil {
				return err
			}
			t := report.NewTable(runs)
			if s := c.String("sort"); s != "" {
				if err := t.Sort(s); err != nil {
					return fmt.Errorf("--sort: %w", err)
				}
			}
			if err := writeTable(c.App.Writer, t, format); err != nil {
				return err
			}
			if err := writeExpectTable(c.App.Writer, t.Runs, format); err != nil {
				return err
			}
			if path := c.String("html"); path != "" {
				return writeHTMLReport(path, c.String("title"), t, c.App.ErrWriter)
			}
			return nil
		},
	}
}

// runDirs resolves the command's arguments to run directories: a
// directory with config.json is a run; another directory stands for its
// subdirectories that are runs, in name order.
func runDirs(args []string) ([]string, error) {
	var dirs []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("run directory %s: %w", a, err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("run directory %s: not a directory", a)
		}
		if _, err := os.Stat(filepath.Join(a, runfiles.ConfigFile)); err == nil {
			dirs = append(dirs, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		var sub []string
		for _, e := range entries {
			p := filepath.Join(a, e.Name())
			if _, err := os.Stat(filepath.Join(p, runfiles.ConfigFile)); e.IsDir() && err == nil {
				sub = append(sub, p)
			}
		}
		if len(sub) == 0 {
			return nil, fmt.Errorf("%s: not a run directory (no %s) and holds none", a, runfiles.ConfigFile)
		}
		sort.Strings(sub)
		dirs = append(dirs, sub...)
	}
	return dirs, nil
}

// writeTable prints t as CSV, or as Markdown with one table per loss when
// the runs use several.
func writeTable(w io.Writer, t *report.Table, format string) error {
	if format == "csv" {
		return t.WriteCSV(w)
	}
	groups, names, err := t.GroupBy("loss")
	if err != nil || len(groups) < 2 {
		return t.WriteMarkdown(w)
	}
	for i, g := range groups {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "### %s loss\n\n", report.LossName(names[i]))
		if err := g.WriteMarkdown(w); err != nil {
			return err
		}
	}
	return nil
}

// writeHTMLReport draws the runs' missing pictures (a run whose pictures
// cannot be drawn is reported and shown without them) and writes the HTML
// report to path.
func writeHTMLReport(path, title string, t *report.Table, log io.Writer) error {
	for _, r := range t.Runs {
		if err := report.EnsurePictures(r.Dir); err != nil {
			fmt.Fprintf(log, "gtrain: warning: run %s: %v\n", r.Dir, err)
		}
	}
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, title, t); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(log, "wrote %s (%d runs)\n", path, len(t.Runs))
	return nil
}
