// Package jsonvalid checks that bytes are one JSON value, accepting
// exactly what encoding/json.Valid accepts (RFC 8259 text, any bytes but
// control characters inside strings, at most 10,000 nested arrays and
// objects), several times faster: a function's response is checked on
// every invocation, and encoding/json's validator, a state machine called
// once per byte, cost more than the rest of the response mapping.
package jsonvalid

// maxDepth is encoding/json's bound on nesting.
const maxDepth = 10000

// Valid reports whether data is one JSON value, with optional whitespace
// around it.
func Valid(data []byte) bool {
	var buf [64]byte
	stack := buf[:0] // the open containers: '{' or '['
	n := len(data)
	i := 0
	var ok bool

value:
	i = skipSpace(data, i)
	if i >= n {
		return false
	}
	switch c := data[i]; c {
	case '{', '[':
		if len(stack) >= maxDepth {
			return false
		}
		stack = append(stack, c)
		i = skipSpace(data, i+1)
		if i < n && data[i] == c+2 { // '}' or ']': empty
			stack = stack[:len(stack)-1]
			i++
			goto end
		}
		if c == '{' {
			goto key
		}
		goto value
	case '"':
		if i, ok = scanString(data, i+1); !ok {
			return false
		}
	case 't':
		if i, ok = literal(data, i, "true"); !ok {
			return false
		}
	case 'f':
		if i, ok = literal(data, i, "false"); !ok {
			return false
		}
	case 'n':
		if i, ok = literal(data, i, "null"); !ok {
			return false
		}
	default:
		if i, ok = scanNumber(data, i); !ok {
			return false
		}
	}

end: // after a value
	i = skipSpace(data, i)
	if len(stack) == 0 {
		return i == n
	}
	if i >= n {
		return false
	}
	switch top := stack[len(stack)-1]; data[i] {
	case ',':
		i++
		if top == '{' {
			goto key
		}
		goto value
	case top + 2: // the closing bracket of the open container
		stack = stack[:len(stack)-1]
		i++
		goto end
	default:
		return false
	}

key:
	i = skipSpace(data, i)
	if i >= n || data[i] != '"' {
		return false
	}
	if i, ok = scanString(data, i+1); !ok {
		return false
	}
	i = skipSpace(data, i)
	if i >= n || data[i] != ':' {
		return false
	}
	i++
	goto value
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// plain tells the bytes a string holds as they are: not a quote, a
// backslash or a control character.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanString scans a string's contents from just after its opening quote
// and returns the index after its closing quote.
func scanString(data []byte, i int) (int, bool) {
	for {
		for i < len(data) && plain[data[i]] {
			i++
		}
		if i >= len(data) {
			return i, false
		}
		switch data[i] {
		case '"':
			return i + 1, true
		case '\\':
			if i+1 >= len(data) {
				return i, false
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(data) {
					return i, false
				}
				for _, h := range data[i+2 : i+6] {
					if !isHex(h) {
						return i, false
					}
				}
				i += 6
			default:
				return i, false
			}
		default: // a control character
			return i, false
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// literal checks that data[i:] starts with word.
func literal(data []byte, i int, word string) (int, bool) {
	if len(data)-i < len(word) || string(data[i:i+len(word)]) != word {
		return i, false
	}
	return i + len(word), true
}

// scanNumber scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func scanNumber(data []byte, i int) (int, bool) {
	n := len(data)
	if i < n && data[i] == '-' {
		i++
	}
	switch {
	case i < n && data[i] == '0':
		i++
	case i < n && '1' <= data[i] && data[i] <= '9':
		i = digits(data, i+1)
	default:
		return i, false
	}
	if i < n && data[i] == '.' {
		j := digits(data, i+1)
		if j == i+1 {
			return i, false
		}
		i = j
	}
	if i < n && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < n && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(data, i)
		if j == i {
			return i, false
		}
		i = j
	}
	return i, true
}

func digits(data []byte, i int) int {
	for i < len(data) && '0' <= data[i] && data[i] <= '9' {
		i++
	}
	return i
}
