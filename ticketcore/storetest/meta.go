package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/ticketcore"
)

// metaRange lists the settings under prefix in the order MetaRange gives
// them, as key=value, stopping after limit of them when limit > 0.
func metaRange(t *testing.T, tx ticketcore.ReadTx, prefix string, limit int) []string {
	t.Helper()
	var out []string
	err := tx.MetaRange(prefix, func(key string, value []byte) bool {
		out = append(out, key+"="+string(value))
		return limit <= 0 || len(out) < limit
	})
	if err != nil {
		t.Fatalf("MetaRange(%q): %v", prefix, err)
	}
	return out
}

func testMetaRange(t *testing.T, h Harness) {
	s := h.Open(t)
	// Byte order, not string length or collation: "p/10" before "p/2",
	// "p/~" before "p/é"; "p" and "p0" are beside the prefix "p/", not in it.
	keys := []string{"p/2", "p", "p/10", "o/1", "p/é", "p/1", "p0", "p/~", "p/"}
	// A prefix is literal: "_" and "%" match themselves only (a store on
	// SQL LIKE must escape them).
	wild := []string{"w_x/1", "wax/1", "w%/1", "wzz/1"}
	update(t, s, func(tx ticketcore.Tx) error {
		for _, k := range wild {
			if err := tx.PutMeta(k, []byte("v")); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx ticketcore.ReadTx) error {
		expectIDs(t, `MetaRange("w_x/")`, metaRange(t, tx, "w_x/", 0), "w_x/1=v")
		expectIDs(t, `MetaRange("w%")`, metaRange(t, tx, "w%", 0), "w%/1=v")
		return nil
	})
	update(t, s, func(tx ticketcore.Tx) error {
		for _, k := range wild {
			if err := tx.DeleteMeta(k); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx ticketcore.Tx) error {
		for _, k := range keys {
			if err := tx.PutMeta(k, []byte("v"+k)); err != nil {
				return err
			}
		}
		return tx.PutMeta("p/empty", nil)
	})
	under := []string{"p/=vp/", "p/1=vp/1", "p/10=vp/10", "p/2=vp/2", "p/empty=", "p/~=vp/~", "p/é=vp/é"}
	var kept [][]byte
	view(t, s, func(tx ticketcore.ReadTx) error {
		expectIDs(t, `MetaRange("p/")`, metaRange(t, tx, "p/", 0), under...)
		expectIDs(t, `MetaRange("p/") stopped after two`, metaRange(t, tx, "p/", 2), under[:2]...)
		expectIDs(t, `MetaRange("q")`, metaRange(t, tx, "q", 0))
		all := metaRange(t, tx, "", 0)
		expectIDs(t, `MetaRange("")`, all, append(append([]string{"o/1=vo/1", "p=vp"}, under...), "p0=vp0")...)
		return tx.MetaRange("p/1", func(_ string, v []byte) bool {
			kept = append(kept, v)
			return true
		})
	})
	if len(kept) != 2 || string(kept[0]) != "vp/1" || string(kept[1]) != "vp/10" {
		t.Errorf("values kept after the transaction: %q, want [vp/1 vp/10]", kept)
	}

	update(t, s, func(tx ticketcore.Tx) error {
		if err := tx.PutMeta("p/3", []byte("vp/3")); err != nil {
			return err
		}
		if err := tx.DeleteMeta("p/1"); err != nil {
			return err
		}
		got := metaRange(t, tx, "p/1", 0)
		expectIDs(t, "MetaRange of own writes", append(got, metaRange(t, tx, "p/3", 0)...), "p/10=vp/10", "p/3=vp/3")
		return nil
	})
	failing(t, s, func(tx ticketcore.Tx) error {
		if err := tx.DeleteMeta("p/2"); err != nil {
			return err
		}
		return tx.PutMeta("p/9", []byte("vp/9"))
	})
	view(t, s, func(tx ticketcore.ReadTx) error {
		expectIDs(t, "MetaRange after a failed update", metaRange(t, tx, "p/", 4), "p/=vp/", "p/10=vp/10", "p/2=vp/2", "p/3=vp/3")
		return nil
	})
}

func testDeleteMeta(t *testing.T, h Harness) {
	s := h.Open(t)
	update(t, s, func(tx ticketcore.Tx) error {
		for _, k := range []string{"a", "b", "c"} {
			if err := tx.PutMeta(k, []byte(k)); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx ticketcore.Tx) error {
		if err := tx.DeleteMeta("a"); err != nil {
			return err
		}
		if v, _ := tx.Meta("a"); v != nil {
			t.Errorf("Meta of a key deleted in its own transaction = %q, want nil", v)
		}
		if err := tx.DeleteMeta("b"); err != nil {
			return err
		}
		if err := tx.PutMeta("b", []byte("b again")); err != nil { // deleted, then set again
			return err
		}
		return tx.DeleteMeta("missing")
	})
	failing(t, s, func(tx ticketcore.Tx) error { return tx.DeleteMeta("c") })
	view(t, s, func(tx ticketcore.ReadTx) error {
		var got []string
		for _, k := range []string{"a", "b", "c"} {
			v, err := tx.Meta(k)
			if err != nil {
				return err
			}
			got = append(got, fmt.Sprintf("%s=%q", k, v))
		}
		if want := `a="" b="b again" c="c"`; strings.Join(got, " ") != want {
			t.Errorf("after deletes: %s, want %s", strings.Join(got, " "), want)
		}
		if v, _ := tx.Meta("a"); v != nil {
			t.Errorf("Meta of a deleted key = %q, want nil", v)
		}
		return nil
	})
}
