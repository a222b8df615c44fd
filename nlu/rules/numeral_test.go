package rules

import "testing"

func TestLongestDuration(t *testing.T) {
	tests := map[string]int{
		"付款半个月了":                     15,
		"已经一周了":                      7,
		"这都11天了":                     11,
		"一个多月":                       30,
		"两个星期":                       14,
		"十几天了":                       11,
		"等了几天":                       2,
		"5月20日付款，7号发货":               0,
		"上周付的款":                      0,
		"I paid two weeks ago":       14,
		"waited 10 days":             10,
		"a month later":              30,
		"over a couple of weeks":     14,
		"a 15-day price protection":  0,
		"三到五个工作日":                    5,
		"order 20240511 paid 3 days": 3,
	}
	for in, want := range tests {
		if got, _ := longestDuration(normalize(in)); got != want {
			t.Errorf("longestDuration(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestMatcherBoundaries(t *testing.T) {
	v := newVocab()
	for i, p := range []string{"sue", "110", "refund*", "*vip*", "退款", "sn"} {
		if err := v.add(p, tag(i)); err != nil {
			t.Fatal(err)
		}
	}
	m := v.compile()
	tests := map[string][]tag{
		"I will sue you":    {0},
		"there is an issue": nil,
		"打110报警":            {1},
		"电话 31105":          nil,
		"it was refunded":   {2},
		"我是SVIP会员":          {3},
		"我要退款":              {4},
		"SN：AB12":           {5},
		"snow":              nil,
		"ＳＵＥ in full width": {0},
	}
	for text, want := range tests {
		var got []tag
		for _, h := range m.scan(normalize(text), nil) {
			got = append(got, h.tag)
		}
		if len(got) != len(want) || len(got) > 0 && got[0] != want[0] {
			t.Errorf("scan(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestNormalize(t *testing.T) {
	if got := string(normalize("ＡＢＣ１２３￥＠，can’t\tX")); got != "abc123¥@,can't x" {
		t.Errorf("normalize = %q", got)
	}
}
