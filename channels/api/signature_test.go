package api_test

import (
	"cmp"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels/api"
)

func TestSignKnownVector(t *testing.T) {
	// openssl dgst -sha256 -hmac cb-secret <<< '1767225600.{"id":"o-1"}' (without the newline)
	const want = "v1=83c5aeff1116b84bc08c8941bf56c93602f4b1974b20cb38189c6fb46029a699"
	if got := api.Sign("cb-secret", "1767225600", []byte(`{"id":"o-1"}`)); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	const secret = "cb-secret"
	body := []byte(`{"id":"O-1","text":"hi"}`)
	ts := strconv.FormatInt(fixedNow.Unix(), 10)
	good := api.Sign(secret, ts, body)
	forged := "v1=" + strings.Repeat("0", 64)

	tests := []struct {
		name      string
		secret    string
		ts        string
		sigs      []string
		body      []byte
		now       time.Time
		tolerance time.Duration
		wantErr   string // substring; empty means valid
	}{
		{name: "valid", sigs: []string{good}},
		{name: "valid at the edge of the tolerance", sigs: []string{good}, now: fixedNow.Add(time.Minute)},
		{name: "valid among several", sigs: []string{forged + ", v0=abc," + good}},
		{name: "valid in a second header line", sigs: []string{forged, good}},
		{name: "default tolerance", sigs: []string{good}, now: fixedNow.Add(4 * time.Minute), tolerance: -1},
		{name: "forged", sigs: []string{forged}, wantErr: "no v1 signature"},
		{name: "wrong secret", secret: "other", sigs: []string{good}, wantErr: "no v1 signature"},
		{name: "tampered body", sigs: []string{good}, body: []byte(`{"id":"O-1","text":"pay"}`), wantErr: "no v1 signature"},
		{name: "signature without version", sigs: []string{strings.TrimPrefix(good, "v1=")}, wantErr: "no v1 signature"},
		{name: "signature not hex", sigs: []string{"v1=zz"}, wantErr: "no v1 signature"},
		{name: "expired", sigs: []string{good}, now: fixedNow.Add(time.Minute + time.Second), wantErr: "tolerance"},
		{name: "from the future", sigs: []string{good}, now: fixedNow.Add(-2 * time.Minute), wantErr: "tolerance"},
		{name: "expired under default tolerance", sigs: []string{good}, now: fixedNow.Add(6 * time.Minute), tolerance: -1, wantErr: "tolerance"},
		{name: "replayed with a new timestamp", ts: strconv.FormatInt(fixedNow.Unix()+1, 10), sigs: []string{good}, wantErr: "no v1 signature"},
		{name: "missing timestamp", ts: "-", sigs: []string{good}, wantErr: "X-Loopdesk-Timestamp is missing"},
		{name: "timestamp not a number", ts: "2026-01-01", sigs: []string{good}, wantErr: "Unix seconds"},
		{name: "missing signature", wantErr: "X-Loopdesk-Signature is missing"},
		{name: "no secret", secret: "-", sigs: []string{good}, wantErr: "no secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			switch tt.ts {
			case "":
				h.Set(api.HeaderTimestamp, ts)
			case "-":
			default:
				h.Set(api.HeaderTimestamp, tt.ts)
			}
			for _, s := range tt.sigs {
				h.Add(api.HeaderSignature, s)
			}
			sec := cmp.Or(tt.secret, secret)
			if tt.secret == "-" {
				sec = ""
			}
			b := body
			if tt.body != nil {
				b = tt.body
			}
			err := api.Verify(sec, h, b, cmp.Or(tt.now, fixedNow), cmp.Or(tt.tolerance, time.Minute))
			checkVerify(t, err, tt.wantErr, secret)
		})
	}
}

func checkVerify(t *testing.T, err error, wantErr, secret string) {
	t.Helper()
	if wantErr == "" {
		if err != nil {
			t.Fatalf("Verify = %v, want nil", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), wantErr) || !errors.Is(err, api.ErrSignature) {
		t.Fatalf("Verify = %v, want ErrSignature mentioning %q", err, wantErr)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error %q contains the secret", err)
	}
}
