package nlu

import "testing"

func TestParseChineseNumeral(t *testing.T) {
	tests := map[string]int64{
		"两百": 200, "一千二百": 1200, "二百八十": 280, "三千五": 3500, "一百五": 150,
		"一百零五": 105, "二十九": 29, "十": 10, "十五": 15, "两万": 20000, "三万五": 35000,
		"一万零五百": 10500, "九": 9,
	}
	for in, want := range tests {
		if got, ok := ParseChineseNumeral([]rune(in)); !ok || got != want {
			t.Errorf("ParseChineseNumeral(%s) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, bad := range []string{"五五", "一二百"} {
		if _, ok := ParseChineseNumeral([]rune(bad)); ok {
			t.Errorf("ParseChineseNumeral(%s) ok, want not a numeral", bad)
		}
	}
}
