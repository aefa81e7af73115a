package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// flagLineRE matches a flag in the defaults flag.PrintDefaults prints.
var flagLineRE = regexp.MustCompile(`(?m)^  -([A-Za-z0-9][A-Za-z0-9-]*)`)

// commandFlags returns the flags of command c, read from its own help, so
// completion stays true to the flag sets.
func commandFlags(ctx context.Context, c *command) []string {
	var help bytes.Buffer
	c.run(ctx, []string{"-h"}, func(string) string { return "" }, io.Discard, &help)
	var flags []string
	for _, m := range flagLineRE.FindAllStringSubmatch(help.String(), -1) {
		name := "--" + m[1]
		if len(m[1]) == 1 {
			name = "-" + m[1]
		}
		if !slices.Contains(flags, name) {
			flags = append(flags, name)
		}
	}
	return flags
}

// runCompletion prints a completion script for bash, zsh or fish.
func runCompletion(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const use = "Usage: fnurl completion bash|zsh|fish\n\n" +
		"Prints a script that completes fnurl's commands and flags. For example:\n" +
		"  bash: source <(fnurl completion bash)        (or save it in /etc/bash_completion.d/fnurl)\n" +
		"  zsh:  source <(fnurl completion zsh)\n" +
		"  fish: fnurl completion fish > ~/.config/fish/completions/fnurl.fish\n"
	if len(args) != 1 || (args[0] != "bash" && args[0] != "zsh" && args[0] != "fish") {
		fmt.Fprint(stderr, use)
		if len(args) == 1 && strings.TrimLeft(args[0], "-") == "h" {
			return nil
		}
		return fmt.Errorf("%w: completion takes one of bash, zsh, fish", errUsage)
	}
	names := []string{"help", "version"}
	flags := map[string][]string{}
	for i := range commands {
		c := &commands[i]
		names = append(names, c.name)
		if c.name != "completion" {
			flags[c.name] = commandFlags(ctx, c)
		}
	}
	flags["completion"] = []string{"bash", "zsh", "fish"}
	flags["policy"] = append([]string{"simulate", "simulate-custom"}, commandFlags(ctx, &command{run: func(ctx context.Context, _ []string, getenv func(string) string, stdout, stderr io.Writer) error {
		return runPolicy(ctx, []string{"simulate", "-h"}, getenv, stdout, stderr)
	}})...)
	switch args[0] {
	case "bash", "zsh":
		var b strings.Builder
		if args[0] == "zsh" {
			b.WriteString("autoload -U +X bashcompinit && bashcompinit\n")
		}
		b.WriteString("# fnurl completion for " + args[0] + "\n_fnurl() {\n\tlocal cur=${COMP_WORDS[COMP_CWORD]}\n")
		fmt.Fprintf(&b, "\tif [[ $COMP_CWORD -eq 1 ]]; then\n\t\tCOMPREPLY=($(compgen -W %q -- \"$cur\"))\n\t\treturn\n\tfi\n", strings.Join(names, " "))
		b.WriteString("\tcase ${COMP_WORDS[1]} in\n")
		for _, n := range names {
			if len(flags[n]) > 0 {
				fmt.Fprintf(&b, "\t%s) COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", n, strings.Join(flags[n], " "))
			}
		}
		b.WriteString("\thelp) COMPREPLY=($(compgen -W " + fmt.Sprintf("%q", strings.Join(names, " ")) + " -- \"$cur\")) ;;\n")
		b.WriteString("\tesac\n}\ncomplete -o default -F _fnurl fnurl\n")
		_, err := io.WriteString(stdout, b.String())
		return err
	default: // fish
		var b strings.Builder
		b.WriteString("# fnurl completion for fish\ncomplete -c fnurl -f\n")
		fmt.Fprintf(&b, "complete -c fnurl -n __fish_use_subcommand -a %q\n", strings.Join(names, " "))
		for _, n := range names {
			for _, f := range flags[n] {
				switch {
				case strings.HasPrefix(f, "--"):
					fmt.Fprintf(&b, "complete -c fnurl -n '__fish_seen_subcommand_from %s' -l %s\n", n, f[2:])
				case strings.HasPrefix(f, "-"):
					fmt.Fprintf(&b, "complete -c fnurl -n '__fish_seen_subcommand_from %s' -s %s\n", n, f[1:])
				default:
					fmt.Fprintf(&b, "complete -c fnurl -n '__fish_seen_subcommand_from %s' -a %s\n", n, f)
				}
			}
		}
		_, err := io.WriteString(stdout, b.String())
		return err
	}
}
