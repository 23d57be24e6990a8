package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"text/tabwriter"

	"github.com/gtrain/gtrain/data"
	"github.com/urfave/cli/v2"
)

// dataCommand returns the "data" command, which verifies and downloads
// the CIFAR-10 data. The work is done by package data.
func dataCommand() *cli.Command {
	// The default is where the commands look for the data when given none.
	cache, _ := data.DefaultCacheDir()
	return &cli.Command{
		Name:  "data",
		Usage: "verify or download the CIFAR-10 data",
		Subcommands: []*cli.Command{
			{
				Name:      "verify",
				Usage:     "check the files of cifar-10-batches-bin against the published MD5 sums",
				ArgsUsage: "DIR",
				Action:    dataVerify,
			},
			{
				Name:  "download",
				Usage: "download the CIFAR-10 binary archive, check its MD5 sum and unpack cifar-10-batches-bin into --dir",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "dir", Value: cache, Usage: "directory to unpack cifar-10-batches-bin into (the default is where the commands find it without --data)"},
					&cli.StringFlag{Name: "url", Value: data.ArchiveURL, Usage: "archive URL"},
					&cli.StringFlag{Name: "md5", Value: data.ArchiveMD5, Usage: "expected MD5 sum of the archive"},
				},
				Action: dataDownload,
			},
		},
	}
}

func dataVerify(c *cli.Context) error {
	if c.NArg() != 1 {
		return cli.Exit("usage: data verify DIR", 2)
	}
	checks := data.VerifyDir(c.Args().First())
	failed := writeChecks(c.App.Writer, checks)
	if failed > 0 {
		return cli.Exit(fmt.Sprintf("%d of %d files failed verification", failed, len(checks)), 1)
	}
	return nil
}

// writeChecks prints checks as a table and returns how many failed.
func writeChecks(w io.Writer, checks []data.FileCheck) (failed int) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tSTATUS\tMD5")
	for _, ck := range checks {
		status, sum := "OK", ck.Got
		switch {
		case errors.Is(ck.Err, fs.ErrNotExist):
			status, sum = "MISSING", "-"
		case ck.Err != nil:
			status, sum = "ERROR", ck.Err.Error()
		case !ck.OK:
			status, sum = "MISMATCH", ck.Got+" (want "+ck.Want+")"
		}
		if !ck.OK {
			failed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", ck.Name, status, sum)
	}
	tw.Flush()
	return failed
}

func dataDownload(c *cli.Context) error {
	if c.NArg() != 0 {
		return cli.Exit("usage: data download [--dir D] [--url U] [--md5 M]", 2)
	}
	if c.String("dir") == "" {
		_, err := data.DefaultCacheDir()
		return cli.Exit(fmt.Sprintf("data download: %v; give --dir", err), 1)
	}
	dir, err := data.Download(c.Context, c.String("dir"), data.DownloadOptions{
		URL:      c.String("url"),
		MD5:      c.String("md5"),
		Progress: c.App.ErrWriter,
	})
	if err != nil {
		return cli.Exit(err.Error(), 1)
	}
	fmt.Fprintln(c.App.Writer, dir)
	return nil
}
