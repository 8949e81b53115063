// Command sextant is Sextant's single binary: server, config checker,
// migrations and account administration. The work is in internal/cli.
package main

import (
	"os"
	_ "time/tzdata" // time zones without system zone files

	"github.com/sextant-ops/sextant/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
