package main

import (
	"context"
	"fmt"
	"io"
)

func runBackfill(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "vpcguard: backfill is not built yet")
	return exitFailed
}
