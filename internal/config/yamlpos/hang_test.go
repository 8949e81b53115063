package yamlpos

import (
	"os"
	"testing"
	"time"
)

func FuzzHang(f *testing.F) {
	f.Add([]byte("a: 1"))
	f.Fuzz(func(t *testing.T, src []byte) {
		done := make(chan struct{})
		go func() {
			select {
			case <-done:
			case <-time.After(3 * time.Second):
				os.WriteFile("/tmp/yp/hang.bin", src, 0o644)
				panic("hang")
			}
		}()
		var cfg testConfig
		Decode(src, &cfg, Options{Getenv: func(n string) (string, bool) { return "8080", n == "PORT" }})
		close(done)
	})
}
