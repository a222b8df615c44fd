package mailtest

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// postfixMainCf is Postfix 3's main.cf for one test. Everything stateful
// (queue, data, log) is under the test's directory; nothing is chrooted, so
// absolute paths work; nothing looks anything up in DNS.
const postfixMainCf = `# Written by mailtest for one test.
compatibility_level = 3.6
queue_directory = {{dir}}/postfix/queue
data_directory = {{dir}}/postfix/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = {{dir}}/postfix/maillog
maillog_file_prefixes = {{dir}}/postfix

myhostname = {{hostname}}
mydomain = {{hostname}}
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = $myhostname ESMTP mailtest {{id}}
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
smtpd_peername_lookup = no
biff = no
alias_maps =
alias_database =
local_recipient_maps =

# The users' domains go to Dovecot over LMTP; an unknown user there is
# refused at RCPT TO.
virtual_mailbox_domains = {{domains}}
virtual_mailbox_maps = texthash:{{dir}}/postfix/etc/recipients
virtual_transport = lmtp:inet:127.0.0.1:{{lmtp}}
recipient_delimiter = +

# Any other domain is accepted from loopback and bounced, so the sender gets
# a delivery status notification as it would from a real MX. Not through
# error(8): smtpd refuses at RCPT TO what resolves to the "error" transport,
# and that daemon runs under no other name; "nowhere" (master.cf) is a pipe
# that fails permanently.
relay_domains =
default_transport = nowhere
relay_transport = nowhere
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination

# Deliver what the client sent: no Message-ID, Date or From added, no
# addresses qualified, even though the client is local.
local_header_rewrite_clients =

# Big enough for attachment size-limit tests.
message_size_limit = 52428800

# Tests must not wait on penalties or back-off.
smtpd_error_sleep_time = 0
in_flow_delay = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
delay_warning_time = 0

smtpd_tls_cert_file = {{dir}}/postfix/etc/cert.pem
smtpd_tls_key_file = {{dir}}/postfix/etc/key.pem
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:{{auth}}
smtpd_sasl_auth_enable = no
`

// postfixMasterCf is master.cf: the default services, none chrooted, and
// three listeners (MX-like SMTP, submission, submission over TLS).
const postfixMasterCf = `# Written by mailtest for one test.
127.0.0.1:{{smtp}} inet n - n - - smtpd
127.0.0.1:{{submission}} inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
127.0.0.1:{{smtps}} inet n - n - - smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
nowhere   unix  -       n       n       -       -       pipe
  flags=q user=nobody argv=/bin/sh -c { cat >/dev/null; echo 5.1.2 mailtest does not deliver outside its own domains; exit 69 }
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`

// postfixQueueDirs are the queue subdirectories with the owner, group and
// mode /etc/postfix/postfix-files gives them ("postfix" is mail_owner,
// "postdrop" setgid_group); "postfix start" would create them through
// post-install, which is slower and checks system-wide files.
var postfixQueueDirs = []struct {
	name, owner, group string
	mode               os.FileMode
}{
	{"active", "postfix", "", 0o700},
	{"bounce", "postfix", "", 0o700},
	{"corrupt", "postfix", "", 0o700},
	{"defer", "postfix", "", 0o700},
	{"deferred", "postfix", "", 0o700},
	{"flush", "postfix", "", 0o700},
	{"hold", "postfix", "", 0o700},
	{"incoming", "postfix", "", 0o700},
	{"private", "postfix", "", 0o700},
	{"maildrop", "postfix", "postdrop", 0o730},
	{"public", "postfix", "postdrop", 0o710},
	{"pid", "root", "", 0o755},
	{"saved", "postfix", "", 0o700},
	{"trace", "postfix", "", 0o700},
}

// startPostfix writes Postfix's configuration and queue and starts its
// master directly (not through "postfix start", which would detach it), so
// it stays in a process group stop can end.
func startPostfix(bins binaries, p plan) (*server, error) {
	base := filepath.Join(p.dir, "postfix")
	etc := filepath.Join(base, "etc")
	queue := filepath.Join(base, "queue")
	data := filepath.Join(base, "data")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		return nil, fmt.Errorf("postfix: %w", err)
	}
	// The queue and pid directories must belong to root, the rest to
	// Postfix's own user.
	if err := os.MkdirAll(queue, 0o755); err != nil {
		return nil, fmt.Errorf("postfix: %w", err)
	}
	pf, err := user.Lookup("postfix")
	if err != nil {
		return nil, fmt.Errorf("postfix: %w", err)
	}
	pfUID, _ := strconv.Atoi(pf.Uid)
	pfGID, _ := strconv.Atoi(pf.Gid)
	postdrop, err := user.LookupGroup("postdrop")
	if err != nil {
		return nil, fmt.Errorf("postfix: %w", err)
	}
	postdropGID, _ := strconv.Atoi(postdrop.Gid)
	mk := func(path string, uid, gid int, mode os.FileMode) error {
		if err := os.Mkdir(path, mode); err != nil {
			return fmt.Errorf("postfix: %w", err)
		}
		if err := os.Chmod(path, mode); err != nil { // past the umask
			return fmt.Errorf("postfix: %w", err)
		}
		if err := os.Chown(path, uid, gid); err != nil {
			return fmt.Errorf("postfix: %w", err)
		}
		return nil
	}
	for _, d := range postfixQueueDirs {
		uid, gid := 0, 0
		if d.owner == "postfix" {
			uid, gid = pfUID, pfGID
		}
		if d.group == "postdrop" {
			gid = postdropGID
		}
		if err := mk(filepath.Join(queue, d.name), uid, gid, d.mode); err != nil {
			return nil, err
		}
	}
	if err := mk(data, pfUID, pfGID, 0o700); err != nil {
		return nil, err
	}

	var recipients strings.Builder
	for _, u := range p.users {
		local, domain, _ := splitAddress(u.Address)
		fmt.Fprintf(&recipients, "%s@%s OK\n", local, domain)
	}
	r := strings.NewReplacer(
		"{{dir}}", p.dir,
		"{{id}}", p.id,
		"{{hostname}}", Hostname,
		"{{domains}}", strings.Join(p.domains(), ", "),
		"{{lmtp}}", strconv.Itoa(p.lmtp),
		"{{auth}}", strconv.Itoa(p.auth),
		"{{smtp}}", strconv.Itoa(p.smtp),
		"{{submission}}", strconv.Itoa(p.submission),
		"{{smtps}}", strconv.Itoa(p.smtps),
	)
	files := map[string][]byte{
		"main.cf":    []byte(r.Replace(postfixMainCf)),
		"master.cf":  []byte(r.Replace(postfixMasterCf)),
		"recipients": []byte(recipients.String()),
		"cert.pem":   p.cert,
		"key.pem":    p.key,
	}
	for name, content := range files {
		mode := os.FileMode(0o644)
		if name == "key.pem" {
			mode = 0o600
		}
		path := filepath.Join(etc, name)
		if err := os.WriteFile(path, content, mode); err != nil {
			return nil, fmt.Errorf("postfix: %w", err)
		}
		// Postfix re-reads a main.cf modified this very second until it is
		// a second old (it might be half written), which costs up to two
		// seconds per start; these files are complete.
		past := time.Now().Add(-time.Minute)
		if err := os.Chtimes(path, past, past); err != nil {
			return nil, fmt.Errorf("postfix: %w", err)
		}
	}
	// -d keeps master in the foreground with its stderr, where it reports
	// a bad configuration before the log service is up.
	return startServer("postfix", filepath.Join(base, "stderr.log"),
		[]string{filepath.Join(base, "maillog")}, []int{p.smtp, p.submission, p.smtps},
		bins.postfixMaster, "-d", "-c", etc)
}
