package email

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// Limits that keep a hostile message from costing more than its own size.
const (
	maxDepth = 32   // nested multiparts deeper than this are not opened
	maxParts = 1000 // parts past this many are not read
)

// entity is one MIME entity of a message as the reader saw it.
type entity struct {
	header      textproto.Header
	mediaType   string            // lowercased type/subtype; text/plain when missing or invalid
	params      map[string]string // Content-Type parameters, names lowercased, values decoded
	disposition string            // lowercased; "" when absent
	filename    string            // Content-Disposition filename, else Content-Type name
	children    []*entity         // multipart/* only
	body        []byte            // leaves: the body with its transfer encoding undone
}

func (e *entity) multipart() bool { return strings.HasPrefix(e.mediaType, "multipart/") }

// walker reads the MIME tree of one message and notes what it had to skip.
type walker struct {
	parts   int
	defects []string
}

func (w *walker) defect(format string, args ...any) {
	if len(w.defects) < 50 {
		w.defects = append(w.defects, fmt.Sprintf(format, args...))
	}
}

// readEntity reads an entity with header h from body, recursing into
// multiparts. It always returns an entity: what could not be read is left
// out and noted as a defect.
func (w *walker) readEntity(h textproto.Header, body io.Reader, depth int) *entity {
	w.parts++
	e := &entity{header: h}
	e.mediaType, e.params = parseParamHeader(h.Get("Content-Type"))
	if strings.Count(e.mediaType, "/") != 1 {
		if e.mediaType != "" {
			w.defect("invalid Content-Type %q read as text/plain", e.mediaType)
		}
		e.mediaType = "text/plain"
	}
	var dparams map[string]string
	e.disposition, dparams = parseParamHeader(h.Get("Content-Disposition"))
	e.filename = strings.TrimSpace(dparams["filename"])
	if e.filename == "" {
		e.filename = strings.TrimSpace(e.params["name"])
	}

	if e.multipart() && depth < maxDepth {
		boundary := e.params["boundary"]
		if boundary == "" {
			w.defect("%s without a boundary read as one part", e.mediaType)
		} else {
			w.readChildren(e, body, boundary, depth)
			return e
		}
	} else if e.multipart() {
		w.defect("multipart nested deeper than %d not opened", maxDepth)
	}

	raw, err := io.ReadAll(body)
	if err != nil {
		w.defect("%s: body cut short: %v", e.mediaType, err)
	}
	cte := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding")))
	var ok bool
	e.body, ok = decodeTransfer(cte, raw)
	if !ok {
		w.defect("%s: Content-Transfer-Encoding %q not fully decoded", e.mediaType, cte)
	}
	return e
}

func (w *walker) readChildren(e *entity, body io.Reader, boundary string, depth int) {
	mr := textproto.NewMultipartReader(body, boundary)
	for {
		if w.parts >= maxParts {
			w.defect("more than %d parts: the rest not read", maxParts)
			return
		}
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			if len(e.children) == 0 {
				w.defect("%s: no part found: %v", e.mediaType, err)
			} else {
				w.defect("%s: parts after the %d-th not read: %v", e.mediaType, len(e.children), err)
			}
			return
		}
		e.children = append(e.children, w.readEntity(p.Header, p, depth+1))
	}
}

// readHeader reads a header section. Lines that are not header fields
// (an mbox "From " line, junk a broken gateway inserted) are dropped with
// their continuation lines instead of ending the header, so one bad line
// does not cost the whole message.
func readHeader(head []byte) (textproto.Header, int, error) {
	var clean bytes.Buffer
	dropped, keep := 0, false
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i+1], head[i+1:]
		} else {
			head = nil
		}
		text := bytes.TrimRight(line, "\r\n")
		if len(text) > 0 && (text[0] == ' ' || text[0] == '\t') {
			if keep {
				clean.Write(text)
				clean.WriteString("\r\n")
			}
			continue
		}
		keep = validFieldLine(text)
		if !keep {
			dropped++
			continue
		}
		clean.Write(text)
		clean.WriteString("\r\n")
	}
	clean.WriteString("\r\n")
	h, err := textproto.ReadHeader(bufio.NewReader(&clean))
	return h, dropped, err
}

// validFieldLine reports whether line starts a header field: a non-empty
// name of printable ASCII without colon, then a colon.
func validFieldLine(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	name := bytes.TrimRight(line[:i], " \t")
	if len(name) == 0 {
		return false
	}
	for _, c := range name {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

// splitHeader cuts a raw message at the first empty line.
func splitHeader(raw []byte) (head, body []byte) {
	rest := raw
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		line := bytes.TrimRight(rest[:i], "\r")
		if len(line) == 0 {
			at := len(raw) - len(rest)
			return raw[:at], raw[at+i+1:]
		}
		rest = rest[i+1:]
	}
	return raw, nil
}

// parseParamHeader reads a Content-Type or Content-Disposition value: the
// lowercased value before the first ';' and its parameters. It is the
// lenient reading of RFC 2045/2231 mail clients need: unquoted values with
// spaces, duplicate or valueless parameters, RFC 2231 continuations and
// charsets (any charset the reader knows, not only UTF-8), and RFC 2047
// encoded-words inside quoted values.
func parseParamHeader(v string) (string, map[string]string) {
	value, rest, _ := strings.Cut(v, ";")
	value = strings.ToLower(strings.TrimSpace(value))
	raw := map[string]string{}
	for {
		rest = strings.TrimLeft(rest, " \t\r\n;")
		if rest == "" {
			break
		}
		eq := strings.IndexAny(rest, "=;")
		if eq < 0 {
			break
		}
		if rest[eq] == ';' {
			rest = rest[eq+1:]
			continue
		}
		key := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var val string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			j := 1
			for ; j < len(rest) && rest[j] != '"'; j++ {
				if rest[j] == '\\' && j+1 < len(rest) {
					j++
				}
				b.WriteByte(rest[j])
			}
			val = b.String()
			rest = rest[min(j+1, len(rest)):]
			if k := strings.IndexByte(rest, ';'); k >= 0 {
				rest = rest[k:]
			} else {
				rest = ""
			}
		} else {
			val, rest, _ = strings.Cut(rest, ";")
			val = strings.TrimSpace(val)
		}
		if _, dup := raw[key]; key != "" && !dup {
			raw[key] = val
		}
	}
	return value, assembleParams(raw)
}

// assembleParams joins RFC 2231 continuations and decodes values. An
// extended (name*) or continued (name*0…) value wins over a plain one.
func assembleParams(raw map[string]string) map[string]string {
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		if !strings.Contains(k, "*") {
			out[k] = decodeWords(v)
		}
	}
	for k, v := range raw {
		base, ok := strings.CutSuffix(k, "*")
		if !ok || strings.Contains(base, "*") || base == "" {
			continue
		}
		cs, data, ok := splitExtended(v)
		if ok {
			text, _ := decodeCharset(data, cs)
			out[base] = text
		}
	}
	for k := range raw {
		base, ok := strings.CutSuffix(k, "*0")
		if !ok {
			base, ok = strings.CutSuffix(k, "*0*")
		}
		if ok && base != "" && !strings.Contains(base, "*") {
			out[base] = joinContinuations(raw, base)
		}
	}
	return out
}

// joinContinuations joins the RFC 2231 sections base*0, base*1… of a
// parameter, percent-decoding the extended ones (base*N*), and decodes the
// whole in the charset the first section names.
func joinContinuations(raw map[string]string, base string) string {
	var data []byte
	cs, extended := "", false
	for n := 0; n < len(raw); n++ {
		key := base + "*" + strconv.Itoa(n)
		if v, ok := raw[key+"*"]; ok {
			part := percentDecode(v)
			if n == 0 {
				if c, p, ok := splitExtended(v); ok {
					cs, part = c, p
				}
			}
			data = append(data, part...)
			extended = true
		} else if v, ok := raw[key]; ok {
			data = append(data, v...)
		} else {
			break
		}
	}
	text, _ := decodeCharset(data, cs)
	if !extended {
		text = decodeWords(text)
	}
	return text
}

// splitExtended reads an RFC 2231 extended value charset'language'%XX….
func splitExtended(v string) (cs string, data []byte, ok bool) {
	parts := strings.SplitN(v, "'", 3)
	if len(parts) != 3 {
		return "", nil, false
	}
	return parts[0], percentDecode(parts[2]), true
}

func percentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return out
}

// decodeTransfer undoes a Content-Transfer-Encoding. Both decoders are
// lenient the way receivers must be (stray characters in base64, bare '='
// and trailing white space in quoted-printable); ok is false when the
// encoding is unknown (the body is returned as it is) or the base64 was
// damaged.
func decodeTransfer(cte string, raw []byte) ([]byte, bool) {
	switch cte {
	case "base64":
		return decodeBase64(raw)
	case "quoted-printable":
		return decodeQP(raw), true
	case "", "7bit", "8bit", "binary":
		return raw, true
	default:
		return raw, false
	}
}

// decodeBase64 decodes base64, skipping everything outside the alphabet
// (line breaks, indentation, padding, and damage, which makes ok false).
func decodeBase64(in []byte) ([]byte, bool) {
	clean := make([]byte, 0, len(in))
	ok := true
	for _, c := range in {
		switch {
		case 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/':
			clean = append(clean, c)
		case c == '=' || c == ' ' || c == '\t' || c == '\r' || c == '\n':
		default:
			ok = false // damage: skipped, and said
		}
	}
	if len(clean)%4 == 1 {
		clean, ok = clean[:len(clean)-1], false
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, err := base64.RawStdEncoding.Decode(out, clean)
	return out[:n], ok && err == nil
}

// decodeQP decodes quoted-printable. Hard line breaks come out as "\n";
// white space at the end of an encoded line is transport padding and
// dropped (a meaningful trailing space is written "=20").
func decodeQP(in []byte) []byte {
	out := make([]byte, 0, len(in))
	for len(in) > 0 {
		line := in
		nl := false
		if i := bytes.IndexByte(in, '\n'); i >= 0 {
			line, in, nl = in[:i], in[i+1:], true
		} else {
			in = nil
		}
		line = bytes.TrimRight(line, " \t\r")
		soft := bytes.HasSuffix(line, []byte("="))
		if soft {
			line = line[:len(line)-1]
		}
		for i := 0; i < len(line); i++ {
			if line[i] == '=' && i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]) {
				out = append(out, unhex(line[i+1])<<4|unhex(line[i+2]))
				i += 2
				continue
			}
			out = append(out, line[i])
		}
		if nl && !soft {
			out = append(out, '\n')
		}
	}
	return out
}
