package cmdb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

const benchRows = 500

func benchCSV(prefix string) string {
	var b strings.Builder
	b.WriteString("name,owner,location,lifecycle,hostname,os,cpus,memory_mb,ip,addresses,serial\n")
	for i := range benchRows {
		fmt.Fprintf(&b, "%s-%04d,infra,paris-1,live,%s-%04d.example,linux,8,16384,10.%d.%d.%d,,SN-%s-%d\n", prefix, i, prefix, i, i/65536, i/256%256, i%256, prefix, i)
	}
	return b.String()
}

// BenchmarkCSVImport imports 500 servers from one file (one transaction,
// one validation of the whole CMDB), against the baseline of the same 500
// created one by one through PutItem as API clients would.
func BenchmarkCSVImport(b *testing.B) {
	db := storetest.Open(b, storetest.Engine{Name: "sqlite", DSN: func(t testing.TB) (string, string) { return "", t.TempDir() }})
	s := cmdb.NewStore(db, catalog.NewStore(db, nil), nil, nil, nil)
	ctx := context.Background()
	run := 0 // each round writes new names: b.Run calls a function again
	b.Run("csv-500", func(b *testing.B) {
		for range b.N {
			run++
			if _, err := s.ImportCSV(ctx, "bench", "server", strings.NewReader(benchCSV(fmt.Sprintf("c%d", run)))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("put-item-500-baseline", func(b *testing.B) {
		for range b.N {
			run++
			i := run
			for j := range benchRows {
				it := cmdb.Item{Name: fmt.Sprintf("p%d-%04d", i, j), Class: "server", Owner: "infra",
					Attributes: map[string]cmdb.Value{"cpus": "8", "serial": cmdb.Value(fmt.Sprintf("SN-p%d-%d", i, j))}}
				if _, err := s.PutItem(ctx, "bench", it, catalog.MustCreate); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
