package main

import (
	"fmt"
	"io"
	"os"

	"github.com/loopdesk/loopdesk/auth"
)

// token makes a new agent API token and prints it with the config lines
// that let it in; loopdesk keeps only the hash.
func token(args []string, stdout io.Writer) error {
	fs := newFlags("token", os.Stderr)
	name := fs.String("name", "", "who the token is for; appears on ticket timelines")
	role := fs.String("role", auth.RoleAgent, "admin, agent or viewer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *name == "" {
		return usageError("token: --name is required")
	}
	secret := auth.Generate("ldk_")
	if _, err := auth.NewTokens([]auth.Token{{Name: *name, Role: *role, SHA256: auth.Hash(secret)}}); err != nil {
		return usageError("token: %v", err)
	}
	fmt.Fprintf(stdout, `Token for %s (%s) — give it to them; it is not shown again:

  %s

Add to the config file under auth.tokens:

  - name: %s
    role: %s
    token_sha256: %s
`, *name, *role, secret, *name, *role, auth.Hash(secret))
	return nil
}
