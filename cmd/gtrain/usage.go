package main

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/urfave/cli/v2"
)

// exitUsage is the exit status of a usage error (a bad flag, a missing
// one, an unknown command), as in the shells and most CLIs.
const exitUsage = 2

// wireUsage makes every usage error of app one line and exit status 2:
// urfave/cli v2 would print the whole help with it. An unknown flag names
// the closest defined one; a missing required flag is reported by the
// command itself (urfave prints the help before that error too).
func wireUsage(app *cli.App) {
	app.OnUsageError = usageError(app.Name, "", app.Flags)
	wireCommands(app.Name, "", app.Flags, app.Commands)
}

func wireCommands(prog, parent string, inherited []cli.Flag, cmds []*cli.Command) {
	for _, c := range cmds {
		path := strings.TrimSpace(parent + " " + c.Name)
		flags := append(append([]cli.Flag(nil), c.Flags...), inherited...)
		c.OnUsageError = usageError(prog, path, flags)
		checkUsage(c, prog, path)
		wireCommands(prog, path, flags, c.Subcommands)
	}
}

// usageErrorf is the one line of a usage error of the command path ("" for
// the app itself, "sweep run", …) of the program prog.
func usageErrorf(prog, path, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	return cli.Exit(msg, exitUsage)
}

// seeHelp names the help of a command: 'gtrain sweep run --help'.
func seeHelp(prog, path string) string {
	return fmt.Sprintf("(see '%s --help')", strings.TrimSpace(prog+" "+path))
}

var longFlag = regexp.MustCompile(`(flag|for) -(\w[\w-]+)`)

// usageError turns a flag-parsing error of a command into one line.
func usageError(prog, path string, flags []cli.Flag) cli.OnUsageErrorFunc {
	return func(_ *cli.Context, err error, _ bool) error {
		// Go's flag package writes every flag with one dash.
		msg := longFlag.ReplaceAllString(err.Error(), "$1 --$2")
		if typed, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
			typed = strings.TrimLeft(typed, "-")
			if s := closest(typed, flagNames(flags)); s != "" {
				return usageErrorf(prog, path, "unknown flag %s: did you mean %s?", dashed(typed), dashed(s))
			}
			msg = "unknown flag " + dashed(typed)
		}
		return usageErrorf(prog, path, "%s %s", msg, seeHelp(prog, path))
	}
}

// checkUsage makes the command check its required flags itself, before
// its own Before, clearing their Required marks so that urfave does not;
// a leaf command that takes no arguments refuses them (with flags allowed
// after arguments, 'gtrain train runs/x --epochs 2' must not train with
// runs/x ignored).
func checkUsage(c *cli.Command, prog, path string) {
	var required []string
	for _, f := range c.Flags {
		if r, ok := f.(cli.RequiredFlag); ok && r.IsRequired() {
			// Every urfave flag type has the field; through reflection
			// this needs no list of them.
			if v := reflect.ValueOf(f); v.Kind() == reflect.Pointer {
				if fld := v.Elem().FieldByName("Required"); fld.CanSet() && fld.Kind() == reflect.Bool {
					fld.SetBool(false)
					required = append(required, f.Names()[0])
				}
			}
		}
	}
	noArgs := c.ArgsUsage == "" && len(c.Subcommands) == 0
	if len(required) == 0 && !noArgs {
		return
	}
	before := c.Before
	c.Before = func(ctx *cli.Context) error {
		if noArgs && ctx.NArg() > 0 {
			return usageErrorf(prog, path, "takes no arguments, got %q %s", ctx.Args().Slice(), seeHelp(prog, path))
		}
		for _, r := range required {
			if !ctx.IsSet(r) {
				return usageErrorf(prog, path, "missing %s %s", dashed(r), seeHelp(prog, path))
			}
		}
		if before != nil {
			return before(ctx)
		}
		return nil
	}
}

func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

func flagNames(flags []cli.Flag) []string {
	var names []string
	for _, f := range flags {
		names = append(names, f.Names()...)
	}
	return names
}

// closest returns the candidate nearest to typed by Damerau–Levenshtein
// distance (optimal string alignment), or "" when none is close: at most
// one edit per three letters typed, so short words get no guesses.
func closest(typed string, candidates []string) string {
	best, bestD := "", len(typed)/3+1
	for _, c := range candidates {
		if d := editDistance(typed, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal-string-alignment distance: insertions,
// deletions, substitutions and transpositions of adjacent letters.
func editDistance(a, b string) int {
	s, t := []rune(a), []rune(b)
	d := make([][]int, len(s)+1)
	for i := range d {
		d[i] = make([]int, len(t)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(s); i++ {
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(s)][len(t)]
}
