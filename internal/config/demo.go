package config

import (
	_ "embed"
)

// Demo is the embedded demo catalog served by `sextant serve --demo`.
//
//go:embed demo.yaml
var Demo []byte
