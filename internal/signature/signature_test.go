package signature_test

import (
	"cmp"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/internal/signature"
)

var fixedNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestSignKnownVector(t *testing.T) {
	// openssl dgst -sha256 -hmac cb-secret <<< '1767225600.{"id":"o-1"}' (without the newline)
	const want = "v1=83c5aeff1116b84bc08c8941bf56c93602f4b1974b20cb38189c6fb46029a699"
	if got := signature.Sign("cb-secret", "1767225600", []byte(`{"id":"o-1"}`)); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	const secret = "cb-secret"
	body := []byte(`{"id":"N-1","text":"hi"}`)
	ts := strconv.FormatInt(fixedNow.Unix(), 10)
	good := signature.Sign(secret, ts, body)
	forged := "v1=" + strings.Repeat("0", 64)

	tests := []struct {
		name      string
		secret    string // "-" means none
		ts        string // "" means ts, "-" means none
		header    string
		body      []byte
		now       time.Time
		tolerance time.Duration
		wantErr   string // substring; empty means valid
	}{
		{name: "valid", header: good},
		{name: "valid at the edge of the tolerance", header: good, now: fixedNow.Add(time.Minute)},
		{name: "valid at the other edge", header: good, now: fixedNow.Add(-time.Minute)},
		{name: "valid among several", header: forged + ", v0=abc," + good},
		{name: "valid with a rotated secret", header: signature.Sign("old", ts, body) + "," + good},
		{name: "valid in upper-case hex", header: "v1=" + strings.ToUpper(strings.TrimPrefix(good, "v1="))},
		{name: "default tolerance", header: good, now: fixedNow.Add(4 * time.Minute), tolerance: -1},
		{name: "forged", header: forged, wantErr: "no v1 signature"},
		{name: "wrong secret", secret: "other", header: good, wantErr: "no v1 signature"},
		{name: "tampered body", header: good, body: []byte(`{"id":"N-1","text":"pay"}`), wantErr: "no v1 signature"},
		{name: "signature without version", header: strings.TrimPrefix(good, "v1="), wantErr: "no v1 signature"},
		{name: "signature not hex", header: "v1=zz", wantErr: "no v1 signature"},
		{name: "signature truncated", header: good[:len(good)-2], wantErr: "no v1 signature"},
		{name: "only separators", header: " , ,", wantErr: "no v1 signature"},
		{name: "expired", header: good, now: fixedNow.Add(time.Minute + time.Second), wantErr: "tolerance"},
		{name: "from the future", header: good, now: fixedNow.Add(-2 * time.Minute), wantErr: "tolerance"},
		{name: "expired under default tolerance", header: good, now: fixedNow.Add(6 * time.Minute), tolerance: -1, wantErr: "tolerance"},
		{name: "timestamp at the end of int64", ts: "-9223372036854775808", header: good, wantErr: "tolerance"},
		{name: "timestamp at the other end", ts: "9223372036854775807", header: good, wantErr: "tolerance"},
		{name: "replayed with a new timestamp", ts: strconv.FormatInt(fixedNow.Unix()+1, 10), header: good, wantErr: "no v1 signature"},
		{name: "missing timestamp", ts: "-", header: good, wantErr: "X-Loopdesk-Timestamp is missing"},
		{name: "timestamp not a number", ts: "2026-01-01", header: good, wantErr: "Unix seconds"},
		{name: "missing signature", wantErr: "X-Loopdesk-Signature is missing"},
		{name: "no secret", secret: "-", header: good, wantErr: "no secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stamp := cmp.Or(tt.ts, ts)
			if tt.ts == "-" {
				stamp = ""
			}
			sec := cmp.Or(tt.secret, secret)
			if tt.secret == "-" {
				sec = ""
			}
			b := body
			if tt.body != nil {
				b = tt.body
			}
			err := signature.Verify(sec, stamp, tt.header, b, cmp.Or(tt.now, fixedNow), cmp.Or(tt.tolerance, time.Minute))
			check(t, err, tt.wantErr, secret)
		})
	}
}

func check(t *testing.T, err error, wantErr, secret string) {
	t.Helper()
	if wantErr == "" {
		if err != nil {
			t.Fatalf("Verify = %v, want nil", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), wantErr) || !errors.Is(err, signature.ErrSignature) {
		t.Fatalf("Verify = %v, want ErrSignature mentioning %q", err, wantErr)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error %q contains the secret", err)
	}
}
