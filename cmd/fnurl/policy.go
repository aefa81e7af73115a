package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// stringList is a repeatable flag whose values may also be comma-separated.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// runPolicy dispatches "fnurl policy SUBCOMMAND".
func runPolicy(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const use = "Usage: fnurl policy simulate --policy-source-arn ARN --action-names A[,B] [--resource-arns R[,S]] [--context KEY=VALUE[:TYPE]]... [--output table|json]\n" +
		"       fnurl policy simulate-custom --policy-input-list file://policy.json [...same flags...]\n\n" +
		"Asks the server's policy simulator (IAM SimulatePrincipalPolicy, SimulateCustomPolicy) whether\n" +
		"the actions are allowed on the resources, and which statements decided.\n"
	if len(args) == 0 || (args[0] != "simulate" && args[0] != "simulate-custom") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprint(stderr, use)
			return flag.ErrHelp
		}
		fmt.Fprint(stderr, use)
		return fmt.Errorf("%w: policy needs the subcommand simulate or simulate-custom", errUsage)
	}
	custom := args[0] == "simulate-custom"
	fs := flag.NewFlagSet("fnurl policy "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sc serverClient
	sc.register(fs)
	var actions, resources, inputs, ctxEntries stringList
	source := fs.String("policy-source-arn", "", "ARN of the user, group or role whose policies are simulated (simulate)")
	fs.Var(&actions, "action-names", "`actions` to simulate, e.g. lambda:InvokeFunctionUrl (repeatable or comma-separated)")
	fs.Var(&resources, "resource-arns", "resource `ARNs` (default *)")
	fs.Func("policy-input-list", "a policy document, as JSON or file://path (repeatable; simulate-custom, or extra policies for simulate)", func(s string) error {
		doc, err := readDocument(s)
		if err == nil {
			inputs = append(inputs, doc)
		}
		return err
	})
	fs.Var(&ctxEntries, "context", "condition key `KEY=VALUE[:TYPE]`, e.g. aws:SourceIp=10.0.0.1:ip (repeatable; TYPE defaults to string)")
	output := fs.String("output", "table", "`format`: table or json")
	fs.Usage = func() { fmt.Fprint(stderr, use+"\nFlags:\n"); fs.PrintDefaults() }
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 || len(actions) == 0 || (!custom && *source == "") || (custom && len(inputs) == 0) {
		fs.Usage()
		return fmt.Errorf("%w: give --action-names and %s", errUsage, map[bool]string{false: "--policy-source-arn", true: "--policy-input-list"}[custom])
	}
	var entries []iamtypes.ContextEntry
	for _, e := range ctxEntries {
		k, v, ok := strings.Cut(e, "=")
		if !ok {
			return fmt.Errorf("--context %q is not KEY=VALUE[:TYPE]", e)
		}
		typ := "string"
		if i := strings.LastIndexByte(v, ':'); i >= 0 && isContextType(v[i+1:]) {
			v, typ = v[:i], v[i+1:]
		}
		entries = append(entries, iamtypes.ContextEntry{ContextKeyName: aws.String(k), ContextKeyType: iamtypes.ContextKeyTypeEnum(typ), ContextKeyValues: []string{v}})
	}
	s, endpoint, err := sc.resolve(getenv)
	if err != nil {
		return err
	}
	c := newAPIClients(s, endpoint)
	var results []iamtypes.EvaluationResult
	if custom {
		out, err := c.iam.SimulateCustomPolicy(ctx, &iamsdk.SimulateCustomPolicyInput{PolicyInputList: inputs, ActionNames: actions,
			ResourceArns: resources, ContextEntries: entries})
		if err != nil {
			return err
		}
		results = out.EvaluationResults
	} else {
		out, err := c.iam.SimulatePrincipalPolicy(ctx, &iamsdk.SimulatePrincipalPolicyInput{PolicySourceArn: source, PolicyInputList: inputs,
			ActionNames: actions, ResourceArns: resources, ContextEntries: entries})
		if err != nil {
			return err
		}
		results = out.EvaluationResults
	}
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"EvaluationResults": results})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTION\tRESOURCE\tDECISION\tMATCHED STATEMENTS\tMISSING CONTEXT")
	for _, r := range results {
		var matched []string
		for _, m := range r.MatchedStatements {
			matched = append(matched, aws.ToString(m.SourcePolicyId)+" ("+string(m.SourcePolicyType)+")")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", aws.ToString(r.EvalActionName), first(aws.ToString(r.EvalResourceName), "*"), r.EvalDecision,
			first(strings.Join(matched, ", "), "-"), first(strings.Join(r.MissingContextValues, ", "), "-"))
	}
	return tw.Flush()
}

func isContextType(t string) bool {
	switch t {
	case "string", "stringList", "numeric", "numericList", "boolean", "booleanList", "ip", "ipList", "binary", "binaryList", "date", "dateList":
		return true
	}
	return false
}

// readDocument returns s, or the contents of the file when s is file://path.
func readDocument(s string) (string, error) {
	if path, ok := strings.CutPrefix(s, "file://"); ok {
		b, err := os.ReadFile(path)
		return string(b), err
	}
	return s, nil
}
