package main

import (
	"context"
	"strings"

	"github.com/urfave/cli/v2"
)

// runApp runs app on args after normalizeArgs; every caller of the app
// (main and the tests) goes through it.
func runApp(ctx context.Context, app *cli.App, args []string) error {
	args, err := normalizeArgs(app, args)
	if err != nil {
		return err
	}
	return app.RunContext(ctx, args)
}

// level is one command of a command line being normalized: its flags as
// they will be passed, and what it accepts.
type level struct {
	path  string // "" for the app, "sweep", "sweep run", …
	defs  []cli.Flag
	subs  []*cli.Command
	flags []string
}

// normalizeArgs lets flags come anywhere on the command line, as in
// 'gtrain train --device cuda' and 'gtrain report DIR --html r.html':
// urfave/cli v2 (through Go's flag package) stops reading a command's flags
// at its first argument. It puts each flag (with its value, when it takes
// one, even a value like -1) after the command that defines it, the
// innermost one, and the leaf command's arguments after a "--". Everything
// after a "--" of the user's stays an argument. 'help [CMD]' becomes
// 'CMD --help'; an unknown command is a usage error naming the closest one.
func normalizeArgs(app *cli.App, args []string) ([]string, error) {
	if len(args) == 0 {
		return args, nil
	}
	levels := []*level{{defs: withHelp(app.Flags, app.HideHelp), subs: app.Commands}}
	var pos []string
	rest := args[1:]
	for len(rest) > 0 {
		a := rest[0]
		cur := levels[len(levels)-1]
		if a == "--" {
			pos = append(pos, rest[1:]...)
			break
		}
		if isFlag(a) {
			at, takes := findFlag(levels, flagName(a))
			if at == nil && len(cur.subs) > 0 {
				// An unknown flag before the command name: let urfave
				// report it where it stands.
				cur.flags = append(cur.flags, rest...)
				return join(args[0], levels, nil, false), nil
			}
			if at == nil {
				at = cur // urfave reports it, with a suggestion
			}
			n := 1
			if takes && !strings.Contains(a, "=") && len(rest) > 1 {
				n = 2
			}
			at.flags = append(at.flags, rest[:n]...)
			rest = rest[n:]
			continue
		}
		if len(cur.subs) == 0 {
			pos = append(pos, a)
			rest = rest[1:]
			continue
		}
		if a == "help" && !hasCommand(cur.subs, "help") {
			// 'gtrain help train' is 'gtrain train --help'.
			rest = append(append([]string(nil), rest[1:]...), "--help")
			continue
		}
		sub := findCommand(cur.subs, a)
		if sub == nil {
			if s := closest(a, commandNames(cur.subs)); s != "" {
				return nil, usageErrorf(app.Name, cur.path, "unknown command %q: did you mean %s?", a, s)
			}
			return nil, usageErrorf(app.Name, cur.path, "unknown command %q %s", a, seeHelp(app.Name, cur.path))
		}
		levels = append(levels, &level{path: strings.TrimSpace(cur.path + " " + sub.Name), defs: withHelp(sub.Flags, sub.HideHelp), subs: sub.Subcommands, flags: []string{a}})
		rest = rest[1:]
	}
	leaf := len(levels[len(levels)-1].subs) == 0
	return join(args[0], levels, pos, leaf), nil
}

// join writes the levels' flags in order, then the arguments; a leaf
// command's arguments follow a "--" so that none is read as a flag.
func join(prog string, levels []*level, pos []string, leaf bool) []string {
	out := []string{prog}
	for _, l := range levels {
		out = append(out, l.flags...)
	}
	if leaf && len(pos) > 0 {
		out = append(out, "--")
	}
	return append(out, pos...)
}

// withHelp adds urfave's --help/-h, which each command gets at run time.
func withHelp(defs []cli.Flag, hidden bool) []cli.Flag {
	if hidden || cli.HelpFlag == nil {
		return defs
	}
	return append(append([]cli.Flag(nil), defs...), cli.HelpFlag)
}

func isFlag(a string) bool { return len(a) > 1 && a[0] == '-' }

// flagName is the name in -name, --name or --name=value.
func flagName(a string) string {
	name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
	name, _, _ = strings.Cut(name, "=")
	return name
}

// findFlag returns the innermost level that defines the flag and whether
// the flag takes a value.
func findFlag(levels []*level, name string) (*level, bool) {
	for i := len(levels) - 1; i >= 0; i-- {
		for _, f := range levels[i].defs {
			for _, n := range f.Names() {
				if n == name {
					return levels[i], takesValue(f)
				}
			}
		}
	}
	return nil, false
}

func takesValue(f cli.Flag) bool {
	if v, ok := f.(cli.DocGenerationFlag); ok {
		return v.TakesValue()
	}
	return false
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

func hasCommand(cmds []*cli.Command, name string) bool { return findCommand(cmds, name) != nil }

func commandNames(cmds []*cli.Command) []string {
	var names []string
	for _, c := range cmds {
		if !c.Hidden {
			names = append(names, c.Names()...)
		}
	}
	return names
}
