package email

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkRead reads every sample from real clients once per iteration:
// the cost of turning a mail into a ticket message, per mail.
func BenchmarkRead(b *testing.B) {
	files, _ := filepath.Glob("testdata/*.eml")
	var raws [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		raws = append(raws, raw)
	}
	for b.Loop() {
		for _, raw := range raws {
			if _, err := Read(raw, ReadOptions{Domain: "shop.example.com"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(raws))/1000, "µs/mail")
}
