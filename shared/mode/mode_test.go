package mode

import "testing"

func TestModes(t *testing.T) {
	tests := []struct {
		m                          Mode
		valid, tickets, remediates bool
	}{
		{Report, true, false, false},
		{Ticket, true, true, false},
		{Enforce, true, true, true},
		{"", false, false, false},
		{"Report", false, false, false},
	}
	for _, tt := range tests {
		if got := [3]bool{tt.m.Valid(), tt.m.Tickets(), tt.m.Remediates()}; got != [3]bool{tt.valid, tt.tickets, tt.remediates} {
			t.Errorf("Mode(%q) Valid/Tickets/Remediates: got %v; want %v", tt.m, got, [3]bool{tt.valid, tt.tickets, tt.remediates})
		}
	}
}
