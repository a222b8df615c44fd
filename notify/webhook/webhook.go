package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/notify"
)

// DefaultTimeout bounds one request when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// maxNameLen bounds Config.Name, which ends up in metric labels and logs.
const maxNameLen = 64

// Config configures one webhook notifier. It is plain data; New applies the
// defaults and validates it.
type Config struct {
	// Name is the notifier's configured name ("sms", "oncall"): letters,
	// digits, '-' and '_'. Required.
	Name string
	// URL is the absolute http(s) URL notices are posted to. Required. Its
	// path and query never appear in errors, so they may hold a credential.
	URL string
	// Secret is the HMAC key notices are signed with. Empty means unsigned:
	// no X-Loopdesk-Signature header. Defaults to empty.
	Secret string
	// Timeout bounds each request, whatever the client. Defaults to 10 s.
	Timeout time.Duration
	// HTTPClient posts notices. Defaults to a client with Timeout that does
	// not follow redirects.
	HTTPClient *http.Client
	// Now is the clock for timestamps and Retry-After dates. Defaults to
	// time.Now.
	Now func() time.Time
}

// Notifier posts notices to one webhook. Safe for concurrent use.
type Notifier struct {
	name     string
	url      string
	receiver string // url without path and query, for errors
	secret   string
	// sensitive are the strings redact removes from answers quoted in errors.
	sensitive []string
	timeout   time.Duration
	client    *http.Client
	now       func() time.Time
}

var _ notify.Notifier = (*Notifier)(nil)

// New validates cfg and returns the notifier.
func New(cfg Config) (*Notifier, error) {
	if err := checkName(cfg.Name); err != nil {
		return nil, err
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook notifier %s: URL must be an absolute http or https URL", cfg.Name)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("webhook notifier %s: Timeout must not be negative", cfg.Name)
	}
	n := &Notifier{
		name:      cfg.Name,
		url:       cfg.URL,
		receiver:  u.Scheme + "://" + u.Host,
		secret:    cfg.Secret,
		sensitive: sensitive(u, cfg.Secret),
		timeout:   cfg.Timeout,
		client:    cfg.HTTPClient,
		now:       cfg.Now,
	}
	if n.timeout == 0 {
		n.timeout = DefaultTimeout
	}
	if n.client == nil {
		n.client = &http.Client{Timeout: n.timeout, CheckRedirect: noRedirects}
	}
	if n.now == nil {
		n.now = time.Now
	}
	return n, nil
}

// minSensitive is the shortest URL part redact removes: shorter ones are no
// credential, and removing them would garble the answer.
const minSensitive = 4

// sensitive lists the parts of u and the secret that errors must not show,
// longest first so a part is not half-redacted by a shorter one inside it.
func sensitive(u *url.URL, secret string) []string {
	var out []string
	add := func(v string) {
		if len(v) >= minSensitive && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	add(u.RawQuery)
	if q, err := url.QueryUnescape(u.RawQuery); err == nil {
		add(q)
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			add(v)
			add(url.QueryEscape(v))
		}
	}
	add(u.EscapedPath())
	add(u.Path)
	if u.User != nil {
		add(u.User.Username())
		if p, ok := u.User.Password(); ok {
			add(p)
		}
	}
	if secret != "" && !slices.Contains(out, secret) {
		out = append(out, secret)
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

func checkName(name string) error {
	if name == "" {
		return errors.New("webhook notifier: a name is required")
	}
	if len(name) > maxNameLen || strings.ContainsFunc(name, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_')
	}) {
		return fmt.Errorf("webhook notifier %q: the name must be up to %d letters, digits, '-' or '_'", name, maxNameLen)
	}
	return nil
}

// noRedirects keeps a POST from silently turning into a GET on a 301/302:
// the receiver's 3xx is classified like any other answer.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Name is the configured name.
func (n *Notifier) Name() string { return n.name }
