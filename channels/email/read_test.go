package email

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sidecar is the expected reading of a sample (testdata/*.json), written
// by the rules of the corpus checker (/work/shared/email/check_corpus.py).
type sidecar struct {
	From         string  `json:"from"`
	FromName     string  `json:"from_name"`
	Subject      string  `json:"subject"`
	Auto         bool    `json:"auto"`
	AutoReason   *string `json:"auto_reason"`
	ThreadTicket *string `json:"thread_ticket"`
	NewText      string  `json:"new_text"`
	Attachments  []struct {
		Filename    string `json:"filename"`
		ContentType string `json:"content_type"`
		Size        int64  `json:"size"`
	} `json:"attachments"`
}

// sampleDomain is the outbound Message-ID domain of the sample corpus.
const sampleDomain = "shop.example.com"

// TestReadSamples reads every raw mail of testdata/ and compares it with
// its sidecar. new_text is compared exactly, after trimming trailing white
// space of the whole text.
func TestReadSamples(t *testing.T) {
	emls, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(emls) == 0 {
		t.Fatal("no samples in testdata/")
	}
	for _, path := range emls {
		name := strings.TrimSuffix(filepath.Base(path), ".eml")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var want sidecar
			js, err := os.ReadFile(strings.TrimSuffix(path, ".eml") + ".json")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(js, &want); err != nil {
				t.Fatal(err)
			}
			m, err := Read(raw, ReadOptions{Domain: sampleDomain})
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			check := func(field, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %q, want %q", field, got, want)
				}
			}
			check("From", m.From, want.From)
			check("FromName", m.FromName, want.FromName)
			check("Subject", m.Subject, want.Subject)
			if m.Auto != want.Auto {
				t.Errorf("Auto = %v, want %v", m.Auto, want.Auto)
			}
			check("AutoReason", m.AutoReason, deref(want.AutoReason))
			check("ThreadTicket", m.ThreadTicket, deref(want.ThreadTicket))
			check("NewText", strings.TrimRight(m.NewText, " \t\r\n"), strings.TrimRight(want.NewText, " \t\r\n"))
			if len(m.Attachments) != len(want.Attachments) {
				t.Fatalf("%d attachments, want %d: %+v", len(m.Attachments), len(want.Attachments), m.Attachments)
			}
			for i, a := range m.Attachments {
				w := want.Attachments[i]
				if a.Filename != w.Filename || a.ContentType != w.ContentType || a.Size != w.Size {
					t.Errorf("attachment %d = %q %s %d, want %q %s %d", i, a.Filename, a.ContentType, a.Size, w.Filename, w.ContentType, w.Size)
				}
				if int64(len(a.Data)) != a.Size {
					t.Errorf("attachment %d: %d bytes of data, size %d", i, len(a.Data), a.Size)
				}
			}
			if len(m.Defects) > 0 {
				t.Errorf("defects reading a well-formed sample: %q", m.Defects)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestReadNotMail(t *testing.T) {
	for _, raw := range []string{"", "\r\n\r\nbody only", "no header fields here\njust text\n"} {
		if _, err := Read([]byte(raw), ReadOptions{}); !errors.Is(err, ErrNotMail) {
			t.Errorf("Read(%q) error = %v, want ErrNotMail", raw, err)
		}
	}
}

// Malformed mail reads as far as it goes, and says what it skipped.
func TestReadMalformed(t *testing.T) {
	var deep strings.Builder
	for i := range maxDepth + 5 {
		fmt.Fprintf(&deep, "Content-Type: multipart/mixed; boundary=D%d\n\n--D%d\n", i, i)
	}
	deep.WriteString("Content-Type: text/plain\n\ndeep\n")
	tests := []struct {
		name    string
		raw     string
		text    string
		defects bool
	}{
		{"header only, no final newline", "From: a@b.example\r\nSubject: hi", "", false},
		{"bare LF line ends", "From: a@b.example\nSubject: hi\n\nline one\nline two\n", "line one\nline two", false},
		{"mbox From line and junk line", "From a@b.example Mon Nov 23 10:00:00 2026\nFrom: a@b.example\nthis is junk\n  and its continuation\nSubject: hi\n\nbody", "body", true},
		{"unterminated multipart", "From: a@b.example\nContent-Type: multipart/mixed; boundary=X\n\n--X\nContent-Type: text/plain\n\ncut off here", "cut off here", true},
		{"multipart without boundary", "From: a@b.example\nContent-Type: multipart/mixed\n\n--X\nstuff", "", true},
		{"multipart without any part", "From: a@b.example\nContent-Type: multipart/mixed; boundary=X\n\nno parts at all", "", true},
		{"unknown transfer encoding", "From: a@b.example\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 x", "begin 644 x", true},
		{"damaged base64", "From: a@b.example\nContent-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQ*!", "hello world", true},
		{"unknown charset", "From: a@b.example\nContent-Type: text/plain; charset=x-klingon\n\nplain ascii", "plain ascii", true},
		{"invalid content type", "From: a@b.example\nContent-Type: garbage\n\ntext", "text", true},
		{"nesting too deep", "From: a@b.example\n" + deep.String(), "", true},
		{"undecodable bytes", "From: a@b.example\nContent-Type: text/plain; charset=utf-8\n\n\xff\xfe ok", "\ufffd\ufffd ok", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Read([]byte(tt.raw), ReadOptions{})
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if got := strings.TrimSpace(m.Text); got != tt.text {
				t.Errorf("Text = %q, want %q", got, tt.text)
			}
			if (len(m.Defects) > 0) != tt.defects {
				t.Errorf("Defects = %q, want some: %v", m.Defects, tt.defects)
			}
			if m.From != "a@b.example" {
				t.Errorf("From = %q", m.From)
			}
		})
	}
}

func TestReadAttachments(t *testing.T) {
	raw := rawMail("From: a@b.example\nContent-Type: multipart/mixed; boundary=X\n",
		"--X\nContent-Type: multipart/related; boundary=R\n\n--R\nContent-Type: text/html\n\n<p><img src=cid:img1@x></p>\n"+
			"--R\nContent-Type: image/png; name=\"a.png\"\nContent-ID: <img1@x>\nContent-Transfer-Encoding: base64\n\nAAECAwQFBgcICQ==\n--R--\n"+
			"--X\nContent-Type: application/pdf; name=\"=?UTF-8?B?5Y+R56WoLnBkZg==?=\"\nContent-Disposition: attachment; filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQKJcfsj6IKMSAwIG9iago=\n"+
			"--X\nContent-Type: message/rfc822\n\nFrom: x@y.example\nSubject: inner\nContent-Type: multipart/mixed; boundary=I\n\n--I\nContent-Type: image/gif; name=inner.gif\n\nGIF\n--I--\n"+
			"--X--\n")
	m, err := Read(raw, ReadOptions{MaxAttachment: 16})
	if err != nil {
		t.Fatal(err)
	}
	want := []Attachment{
		{Filename: "a.png", ContentType: "image/png", Size: 10, Data: []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, Inline: true, ContentID: "img1@x"},
		{Filename: "发票.pdf", ContentType: "application/pdf", Size: 23, Skipped: true},
	}
	if !reflect.DeepEqual(m.Attachments, want) {
		t.Errorf("Attachments =\n%+v, want\n%+v", m.Attachments, want)
	}
}

// Reading stays linear in the size of the mail: each of these took minutes
// when a rule rescanned the text for every line.
func TestReadPathological(t *testing.T) {
	const n = 50000
	for name, raw := range map[string]string{
		"blank lines":        "From: a@b.example\n\nx\n" + strings.Repeat("\n", n) + "y",
		"attribution lines":  "From: a@b.example\n\n" + strings.Repeat("On 1 x wrote:\n\n\n", n/3),
		"quoted lines":       "From: a@b.example\n\n" + strings.Repeat("> q\n\n", n) + "own\n",
		"empty paragraphs":   "From: a@b.example\nContent-Type: text/html\n\nx" + strings.Repeat("<p></p><br>", n) + "y",
		"encoded words":      "From: a@b.example\nSubject: " + strings.Repeat("=?gbk?B?1cXOsA==?= ", n/10) + "\n\nx",
		"parts":              "From: a@b.example\nContent-Type: multipart/mixed; boundary=X\n\n" + strings.Repeat("--X\nContent-Type: text/plain\n\nx\n", maxParts+10),
		"parameters":         "From: a@b.example\nContent-Type: text/plain; " + strings.Repeat("a*1=b; ", n/10) + "\n\nx",
		"name encoded words": "From: " + strings.Repeat("=?utf-8?B?5byg?= ", n/10) + "<a@b.example>\n\nx",
	} {
		start := time.Now()
		if _, err := Read([]byte(raw), ReadOptions{Domain: sampleDomain}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		t.Logf("%s: %v", name, time.Since(start))
	}
}
