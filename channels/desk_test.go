package channels

import "testing"

func TestTicketID(t *testing.T) {
	for ref, want := range map[string]string{"T-000123": "T-000123", "t-123": "T-000123", "#123": "T-000123",
		"#T-000123": "T-000123", "T123": "T-000123", "T-999999999": "T-999999999"} {
		if got, ok := TicketID(ref); !ok || got != want {
			t.Errorf("TicketID(%q) = %q, %v; want %q", ref, got, ok, want)
		}
	}
	for _, ref := range []string{"", "#", "T-", "T-0", "#1234567890", "T-+1", "X-12", "12a", "T--1"} {
		if got, ok := TicketID(ref); ok {
			t.Errorf("TicketID(%q) = %q, want no ticket", ref, got)
		}
	}
}
