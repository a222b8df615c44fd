package nlu

import "unicode"

// DetectLang reports LangEN when the text is written in English and LangZH
// otherwise. A Chinese sentence with English words inside is Chinese; an
// English sentence with a Chinese name inside is English: the share of Han
// characters among letters decides, with Chinese as the default for text
// without letters.
func DetectLang(text string) string {
	var han, latin int
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			han++
		case r < unicode.MaxASCII && unicode.IsLetter(r):
			latin++
		}
	}
	// A Han character carries about as much as a short English word.
	if latin > 0 && han*4 < latin {
		return LangEN
	}
	return LangZH
}
