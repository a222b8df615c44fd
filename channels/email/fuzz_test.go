package email

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRead holds over arbitrary bytes, seeded with the samples: Read never
// panics, fails only with ErrNotMail, and what it reads is consistent (valid
// UTF-8 text, a reason exactly when automatic, sizes that match the data).
func FuzzRead(f *testing.F) {
	emls, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range emls {
		raw, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte("From: a@b\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\nContent-Type: text/html\r\n\r\n<p>x"))
	f.Add([]byte("Subject: =?gbk?B?1cXOsA==?= =?euc-cn?Q?=D5=C5?=\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Read(raw, ReadOptions{Domain: sampleDomain, MaxAttachment: 1 << 10})
		if err != nil {
			if !errors.Is(err, ErrNotMail) {
				t.Fatalf("error %v does not wrap ErrNotMail", err)
			}
			return
		}
		for name, s := range map[string]string{"Text": m.Text, "NewText": m.NewText, "Subject": m.Subject, "FromName": m.FromName} {
			if !utf8.ValidString(s) {
				t.Errorf("%s is not valid UTF-8: %q", name, s)
			}
		}
		if m.Auto != (m.AutoReason != "") {
			t.Errorf("Auto %v with reason %q", m.Auto, m.AutoReason)
		}
		if m.ThreadTicket != "" && !strings.HasPrefix(m.ThreadTicket, "T-") {
			t.Errorf("ThreadTicket %q", m.ThreadTicket)
		}
		for _, a := range m.Attachments {
			if a.Skipped != (a.Data == nil && a.Size > 1<<10) || !a.Skipped && int64(len(a.Data)) != a.Size {
				t.Errorf("attachment %q: size %d, %d bytes, skipped %v", a.Filename, a.Size, len(a.Data), a.Skipped)
			}
		}
	})
}
