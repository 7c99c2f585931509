package main

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/vpcguard/vpcguard/infra/stack"
)

// cdk.json is what `cdk deploy` reads and stack.DefaultConfig is what the code falls back
// to; they must say the same thing or the README's defaults table lies for one of them.
func TestCdkJSONContextIsTheDefaultConfig(t *testing.T) {
	os.Setenv("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
	os.Setenv("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
	ctx, err := cdkJSONContext(filepath.Join("..", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ctx) == 0 {
		t.Fatal("cdk.json has no context")
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
	got, err := stack.ConfigFromContext(app.Node())
	if err != nil {
		t.Fatalf("cdk.json context: %v", err)
	}
	if want := stack.DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("cdk.json context: got %+v; want %+v", got, want)
	}
	// Every key the stack reads is in cdk.json with its default, and in a
	// README Context table; cdk.json has no key the stack ignores.
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	keys := stack.ContextKeys()
	for _, k := range keys {
		if _, ok := ctx[k]; !ok {
			t.Errorf("cdk.json: no context key %s (the stack reads it; list it with its default)", k)
		}
		if !strings.Contains(string(readme), "| `"+k+"` |") {
			t.Errorf("README.md: no Context table row for %s", k)
		}
	}
	for k := range ctx {
		if !slices.Contains(keys, k) {
			t.Errorf("cdk.json: context key %s is not read by the stack", k)
		}
	}
	jsii.Close()
}

func TestContextFlags(t *testing.T) {
	f := contextFlags{}
	for _, arg := range []string{"mode=enforce", "ruleModes=a=b"} {
		if err := f.Set(arg); err != nil {
			t.Fatalf("Set(%q): %v", arg, err)
		}
	}
	if got, want := map[string]any(f), map[string]any{"mode": "enforce", "ruleModes": "a=b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
	if err := f.Set("novalue"); err == nil {
		t.Error("Set(\"novalue\"): got nil error; want one")
	}
}

func TestCheckAssetsNamesTheFix(t *testing.T) {
	c := stack.DefaultConfig()
	c.AssetDir = t.TempDir()
	err := checkAssets(c)
	if err == nil || !strings.Contains(err.Error(), "make build") {
		t.Errorf("got %v; want an error telling to run make build", err)
	}
}

// TestFunctionDirectoriesAreTheCatalogue: every function the stack deploys (the
// catalogue's guards and the backfill) has its main under functions/, and nothing else
// is there: `make build` builds each directory, and the stack deploys each name.
func TestFunctionDirectoriesAreTheCatalogue(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("..", "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	want := stack.AllFunctionNames()
	slices.Sort(dirs)
	slices.Sort(want)
	if !slices.Equal(dirs, want) {
		t.Errorf("functions/ holds %v; the stack deploys %v", dirs, want)
	}
}
