package calendar

import (
	"testing"
	"time"
)

// china2026 is the mainland China calendar for 2026, after the State
// Council notice of 2025-11-04 (国务院办公厅关于2026年部分节假日安排的通知),
// plus the 2025 New Year's Eve so that a test can cross the year. As YAML,
// ready for a configs/ file:
//
//	name: cn-2026
//	time_zone: Asia/Shanghai
//	weekly:
//	  mon: ["09:00-18:00"]
//	  tue: ["09:00-18:00"]
//	  wed: ["09:00-18:00"]
//	  thu: ["09:00-18:00"]
//	  fri: ["09:00-18:00"]
//	holidays:
//	  - 2026-01-01..2026-01-03   # 元旦
//	  - 2026-02-15..2026-02-23   # 春节
//	  - 2026-04-04..2026-04-06   # 清明节
//	  - 2026-05-01..2026-05-05   # 劳动节
//	  - 2026-06-19..2026-06-21   # 端午节
//	  - 2026-09-25..2026-09-27   # 中秋节
//	  - 2026-10-01..2026-10-07   # 国庆节
//	workdays:                    # 调休上班
//	  - 2026-01-04               # Sunday
//	  - 2026-02-14               # Saturday
//	  - 2026-02-28               # Saturday
//	  - 2026-05-09               # Saturday
//	  - 2026-09-20               # Sunday
//	  - 2026-10-10               # Saturday
var china2026 = Config{
	Name:     "cn-2026",
	TimeZone: "Asia/Shanghai",
	Weekly:   weekdays("09:00-18:00"),
	Holidays: []string{
		"2026-01-01..2026-01-03",
		"2026-02-15..2026-02-23",
		"2026-04-04..2026-04-06",
		"2026-05-01..2026-05-05",
		"2026-06-19..2026-06-21",
		"2026-09-25..2026-09-27",
		"2026-10-01..2026-10-07",
	},
	Workdays: []string{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"},
}

// TestChina2026FirstResponse is the acceptance case: a four-hour first
// response asked for at 17:55 on the eve of a holiday is due on the next
// workday. 2026-09-30 is a Wednesday (National Day, 10-01, is a Thursday).
func TestChina2026FirstResponse(t *testing.T) {
	c := mustNew(t, china2026)
	tests := []struct {
		name, from string
		d          time.Duration
		want       string
	}{
		{"eve of National Day", "2026-09-30 17:55", 4 * time.Hour, "2026-10-08 12:55"},
		{"Friday before Qingming", "2026-04-03 17:55", 4 * time.Hour, "2026-04-07 12:55"},
		{"Friday before make-up Saturday", "2026-10-09 17:55", 4 * time.Hour, "2026-10-10 12:55"},
		{"make-up Saturday to Monday", "2026-10-10 17:55", 4 * time.Hour, "2026-10-12 12:55"},
		{"Friday before make-up Saturday before Spring Festival", "2026-02-13 17:55", 4 * time.Hour, "2026-02-14 12:55"},
		{"make-up Saturday over Spring Festival", "2026-02-14 17:55", 4 * time.Hour, "2026-02-24 12:55"},
		{"weekend to make-up Sunday", "2026-09-18 17:55", 4 * time.Hour, "2026-09-20 12:55"},
		{"over Mid-Autumn", "2026-09-24 17:55", 4 * time.Hour, "2026-09-28 12:55"},
		{"year end to make-up Sunday", "2025-12-31 17:00", 4 * time.Hour, "2026-01-04 12:00"},
		{"message during the holiday", "2026-10-03 10:00", 4 * time.Hour, "2026-10-08 13:00"},
		{"30 business days end at a close", "2026-09-14 09:00", 30 * 9 * time.Hour, "2026-10-29 18:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, want := at(t, c, tt.from), at(t, c, tt.want)
			if got := c.Add(from, tt.d); !got.Equal(want) {
				t.Errorf("Add(%s, %v) = %s, want %s", tt.from, tt.d, got, tt.want)
			}
			if got := c.Between(from, want); got != tt.d {
				t.Errorf("Between(%s, %s) = %v, want %v", tt.from, tt.want, got, tt.d)
			}
		})
	}
}

func TestChina2026Open(t *testing.T) {
	c := mustNew(t, china2026)
	tests := []struct {
		at   string
		want bool
	}{
		{"2026-10-01 10:00", false}, // holiday on a Thursday
		{"2026-10-07 10:00", false}, // last day of the range
		{"2026-10-08 09:00", true},
		{"2026-10-10 09:00", true},  // make-up Saturday
		{"2026-10-11 09:00", false}, // ordinary Sunday
		{"2026-09-20 17:59", true},  // make-up Sunday
		{"2026-09-20 18:00", false},
		{"2026-01-04 09:00", true}, // make-up Sunday after New Year
	}
	for _, tt := range tests {
		if got := c.Open(at(t, c, tt.at)); got != tt.want {
			t.Errorf("Open(%s) = %v, want %v", tt.at, got, tt.want)
		}
	}
}
