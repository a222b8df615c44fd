package mailtest

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// dovecotConf is Dovecot 2.3's configuration, complete in itself: nothing
// is read from /etc/dovecot. One master serves IMAP and IMAPS to the tests,
// LMTP to Postfix and SASL to Postfix's submission listeners, all on
// loopback TCP (Unix sockets would have to be reachable from Postfix's
// queue directory under the 107-byte path limit).
const dovecotConf = `# Written by mailtest for one test.
base_dir = {{run}}
state_dir = {{dir}}/dovecot/state
instance_name = mailtest
log_path = {{dir}}/dovecot/dovecot.log
info_log_path = {{dir}}/dovecot/dovecot.log
debug_log_path = {{dir}}/dovecot/dovecot.log
hostname = {{hostname}}
login_greeting = mailtest {{id}} ready.
postmaster_address = postmaster@{{domain}}

protocols = imap lmtp
listen = 127.0.0.1
shutdown_clients = yes

ssl = yes
ssl_cert = <{{dir}}/dovecot/cert.pem
ssl_key = <{{dir}}/dovecot/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
auth_cache_size = 0
auth_failure_delay = 0

default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = {{uid}}
first_valid_gid = {{gid}}

mail_location = maildir:{{dir}}/mail/%d/%n/Maildir
mail_fsync = never
# Stored as on the wire, so Mailbox returns what an IMAP FETCH would.
mail_save_crlf = yes
mail_max_userip_connections = 100
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no

passdb {
  driver = passwd-file
  args = username_format=%Lu {{dir}}/dovecot/users
}
userdb {
  driver = passwd-file
  args = username_format=%Lu {{dir}}/dovecot/users
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = {{imap}}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = {{imaps}}
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = {{lmtp}}
  }
}
# Tests log in with wrong passwords on purpose; without this every later
# login from 127.0.0.1 would wait out a growing penalty (2, 4, 8… seconds).
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  inet_listener sasl {
    address = 127.0.0.1
    port = {{auth}}
  }
}
`

// startDovecot writes Dovecot's configuration, users and empty Maildirs and
// starts its master in the foreground.
func startDovecot(bins binaries, p plan) (*server, error) {
	// Mail belongs to the traditional "mail" user: Dovecot refuses root
	// for mail access, and the files stay readable by root (Mailbox).
	uid, gid, err := mailOwner()
	if err != nil {
		return nil, err
	}
	base := filepath.Join(p.dir, "dovecot")
	for _, d := range []string{base, filepath.Join(base, "state")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("dovecot: %w", err)
		}
	}
	var users strings.Builder
	for _, u := range p.users {
		local, domain, _ := splitAddress(u.Address)
		home := filepath.Join(p.dir, "mail", domain, local)
		// user:password:uid:gid:gecos:home:shell
		fmt.Fprintf(&users, "%s@%s:{PLAIN}%s:%d:%d::%s::\n", local, domain, u.Password, uid, gid, home)
		// Made here, not by Dovecot on first delivery, so Mailbox can read
		// an empty INBOX before anything arrives.
		for _, d := range []string{filepath.Join(p.dir, "mail"), filepath.Join(p.dir, "mail", domain), home,
			filepath.Join(home, "Maildir"), filepath.Join(home, "Maildir", "cur"),
			filepath.Join(home, "Maildir", "new"), filepath.Join(home, "Maildir", "tmp")} {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return nil, fmt.Errorf("dovecot: %w", err)
			}
			if err := os.Chown(d, uid, gid); err != nil {
				return nil, fmt.Errorf("dovecot: %w", err)
			}
		}
	}
	conf := strings.NewReplacer(
		"{{run}}", p.runDir,
		"{{id}}", p.id,
		"{{dir}}", p.dir,
		"{{hostname}}", Hostname,
		"{{domain}}", p.domains()[0],
		"{{uid}}", strconv.Itoa(uid),
		"{{gid}}", strconv.Itoa(gid),
		"{{imap}}", strconv.Itoa(p.imap),
		"{{imaps}}", strconv.Itoa(p.imaps),
		"{{lmtp}}", strconv.Itoa(p.lmtp),
		"{{auth}}", strconv.Itoa(p.auth),
	).Replace(dovecotConf)
	files := map[string][]byte{
		"dovecot.conf": []byte(conf),
		"users":        []byte(users.String()),
		"cert.pem":     p.cert,
		"key.pem":      p.key,
	}
	for name, data := range files {
		mode := os.FileMode(0o644)
		if name == "key.pem" {
			mode = 0o600
		}
		if err := os.WriteFile(filepath.Join(base, name), data, mode); err != nil {
			return nil, fmt.Errorf("dovecot: %w", err)
		}
	}
	return startServer("dovecot", filepath.Join(base, "stderr.log"),
		[]string{filepath.Join(base, "dovecot.log")}, []int{p.imap, p.imaps, p.lmtp, p.auth},
		bins.dovecot, "-F", "-c", filepath.Join(base, "dovecot.conf"))
}

// mailOwner returns the uid and gid the Maildirs belong to.
func mailOwner() (uid, gid int, err error) {
	for _, name := range []string{"mail", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		if uid != 0 {
			return uid, gid, nil
		}
	}
	return 0, 0, fmt.Errorf(`dovecot: neither the "mail" nor the "nobody" user exists to own the Maildirs`)
}
