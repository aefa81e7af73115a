package sigv4

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"
)

// genReq is one randomly generated request, in the JSON shape the external
// signers in testdata read.
type genReq struct {
	ID       int         `json:"id"`
	Method   string      `json:"method"`
	Host     string      `json:"host"`
	Path     string      `json:"path"`      // wire path, percent-encoded
	Query    [][2]string `json:"query"`     // decoded key/value pairs in wire order
	RawQuery string      `json:"raw_query"` // wire query (an encoding of Query)
	Headers  [][2]string `json:"headers"`   // extra headers in order; repeats allowed
	Body     []byte      `json:"body"`
	Region   string      `json:"region"`
	Service  string      `json:"service"`
	Time     string      `json:"time"`     // RFC 3339 UTC
	AmzDate  string      `json:"amz_date"` // same, ISO 8601 basic
	AKID     string      `json:"akid"`
	Secret   string      `json:"secret"`
	Token    string      `json:"token"`
	Presign  bool        `json:"presign"`
	Expires  int         `json:"expires"`
	// ApplyChecksum asks @smithy/signature-v4 to add x-amz-content-sha256.
	ApplyChecksum bool `json:"apply_checksum"`
}

// genOpts selects input classes, so that a signer whose quirks AWS itself
// would reject can be spared them (each exclusion is documented where the
// signer is set up).
type genOpts struct {
	presign        bool
	dotSegments    bool // "." and ".." path segments
	emptySegments  bool // "//" in paths
	pathEscapes    bool // %XX in paths (UTF-8, space, '%', '/', ...)
	pathReserved   bool // sub-delims such as "!$&'()*+,;=:@" in paths
	canonicalWire  bool // the wire query is already in canonical encoding (upper-case hex, unreserved bytes literal)
	sortedWire     bool // ... and sorted
	plusInQuery    bool // a literal '+' on the wire (decoded as '+')
	dupKeys        bool // repeated query keys
	noEquals       bool // "k" without '='
	headerTabs     bool // tabs inside header values
	headerRepeats  bool // the same header on several lines
	internalSpaces bool // runs of spaces inside header values
	emptyHeaders   bool // header lines with an empty value
	contentSHA256  bool // an x-amz-content-sha256 header with the body hash
	tokens         bool // session tokens
	noBody         bool // never a body
	methods        []string
}

func defaultGenOpts() genOpts {
	return genOpts{
		dotSegments: true, emptySegments: true, pathEscapes: true, pathReserved: true,
		plusInQuery: true, dupKeys: true, noEquals: true,
		headerTabs: true, headerRepeats: true, internalSpaces: true, emptyHeaders: true,
		contentSHA256: true, tokens: true,
	}
}

var (
	genTime  = time.Date(2024, 5, 1, 10, 20, 30, 0, time.UTC)
	genCreds = map[string]string{
		"AKIAIOSFODNN7EXAMPLE": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"ASIAQWERTYUIOPASDFGH": "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY+x",
	}
	genToken = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+abc/def=="
)

type generator struct {
	rnd *rand.Rand
	o   genOpts
}

func generate(seed uint64, n int, o genOpts) []genReq {
	g := &generator{rnd: rand.New(rand.NewPCG(seed, 0x5167)), o: o}
	out := make([]genReq, n)
	for i := range out {
		out[i] = g.request(i)
	}
	return out
}

func (g *generator) pick(list ...string) string { return list[g.rnd.IntN(len(list))] }
func (g *generator) chance(p float64) bool      { return g.rnd.Float64() < p }

func (g *generator) request(id int) genReq {
	methods := g.o.methods
	if methods == nil {
		methods = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "POST", "GET"}
	}
	r := genReq{
		ID:      id,
		Method:  methods[g.rnd.IntN(len(methods))],
		Host:    g.pick("abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws", "localhost:9000", "127.0.0.1:8080", "sts.amazonaws.com", "Example.COM"),
		Region:  g.pick("us-east-1", "eu-west-1", "ap-southeast-2"),
		Service: g.pick("lambda", "sts", "iam", "execute-api"),
		Time:    genTime.Format(time.RFC3339),
		AmzDate: genTime.Format(TimeFormat),
		Presign: g.o.presign,
		Expires: 1 + g.rnd.IntN(3600),
	}
	r.AKID = "AKIAIOSFODNN7EXAMPLE"
	if g.o.tokens && g.chance(0.4) {
		r.AKID, r.Token = "ASIAQWERTYUIOPASDFGH", genToken
	}
	r.Secret = genCreds[r.AKID]
	r.Path = g.path()
	r.Query = g.query()
	r.RawQuery = g.wireQuery(r.Query)
	if !g.o.noBody && (r.Method != "GET" && r.Method != "DELETE" || g.chance(0.1)) {
		r.Body = g.body()
	}
	r.Headers = g.headers(r.Body)
	r.ApplyChecksum = g.chance(0.3)
	return r
}

func (g *generator) path() string {
	if g.o.pathEscapes && g.chance(0.08) {
		return "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-west-2%3A123456789012%3Afunction%3Amy-fn/invocations"
	}
	n := g.rnd.IntN(6)
	var segs []string
	for range n {
		segs = append(segs, g.segment())
	}
	p := "/" + strings.Join(segs, "/")
	if n > 0 && g.chance(0.25) {
		p += "/"
	}
	return p
}

func (g *generator) segment() string {
	var choices []func() string
	word := func() string {
		return g.word("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~", 1+g.rnd.IntN(10))
	}
	choices = append(choices, word, word, word)
	if g.o.pathEscapes {
		choices = append(choices, func() string {
			return g.pick("%E1%88%B4", "caf%C3%A9", "with%20space", "a%2Fb", "%25", "100%25sure", "%7E", "%41bc", "%3a", "%F0%9F%98%80")
		})
	}
	if g.o.pathReserved {
		choices = append(choices, func() string {
			return g.pick("$", "!", "'", "(x)", "*", "a+b", "a,b", ";v=1", "k=v", ":", "@home", "&")
		})
	}
	if g.o.dotSegments {
		choices = append(choices, func() string { return g.pick(".", "..") })
	}
	if g.o.emptySegments {
		choices = append(choices, func() string { return "" })
	}
	return choices[g.rnd.IntN(len(choices))]()
}

func (g *generator) word(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.rnd.IntN(len(alphabet))]
	}
	return string(b)
}

// queryText returns a decoded query key or value: valid UTF-8 mixing
// unreserved, reserved and non-ASCII characters.
func (g *generator) queryText(maxLen int) string {
	pieces := []string{"a", "B", "z", "0", "9", "-", "_", ".", "~", " ", "!", "\"", "#", "$", "%", "&", "'", "(", ")", "*", "+", ",", "/",
		":", ";", "<", "=", ">", "?", "@", "[", "\\", "]", "^", "`", "{", "|", "}", "é", "ሴ", "😀", "Param", "value"}
	n := g.rnd.IntN(maxLen + 1)
	var b strings.Builder
	for range n {
		b.WriteString(pieces[g.rnd.IntN(len(pieces))])
	}
	return b.String()
}

func (g *generator) query() [][2]string {
	n := g.rnd.IntN(7)
	var q [][2]string
	keys := []string{"Action", "Version", "a", "A", "b", "Param", "Param-3", "é", "k+", "x/y", "~t", "a b"}
	for range n {
		var k string
		switch {
		case g.o.dupKeys && len(q) > 0 && g.chance(0.25):
			k = q[g.rnd.IntN(len(q))][0]
		case g.chance(0.5):
			k = g.pick(keys...)
		default:
			k = g.queryText(6)
			if k == "" {
				k = "k"
			}
		}
		if !g.o.plusInQuery {
			// Keep '+' out of decoded text entirely for signers that
			// treat a wire '+' as a space.
			k = strings.ReplaceAll(k, "+", "-")
		}
		v := ""
		if !g.chance(0.2) {
			v = g.queryText(8)
		}
		if !g.o.plusInQuery {
			v = strings.ReplaceAll(v, "+", "-")
		}
		if !g.o.dupKeys && slices.ContainsFunc(q, func(p [2]string) bool { return p[0] == k }) {
			continue
		}
		q = append(q, [2]string{k, v})
	}
	return q
}

// wireQuery encodes decoded pairs for the wire: canonically (upper-case
// hex, unreserved bytes literal), or with variations that decode to the
// same pairs: lower-case hex, encoded unreserved bytes, literal sub-delims,
// literal '+', and keys without '='.
func (g *generator) wireQuery(q [][2]string) string {
	pairs := slices.Clone(q)
	if g.o.sortedWire {
		enc := func(p [2]string) string { return encodeAll(p[0]) + "=" + encodeAll(p[1]) }
		slices.SortFunc(pairs, func(a, b [2]string) int {
			if c := strings.Compare(encodeAll(a[0]), encodeAll(b[0])); c != 0 {
				return c
			}
			return strings.Compare(enc(a), enc(b))
		})
	}
	var parts []string
	for _, p := range pairs {
		k := g.encodeWire(p[0])
		if p[1] == "" && g.o.noEquals && !g.o.canonicalWire && g.chance(0.3) {
			parts = append(parts, k)
			continue
		}
		parts = append(parts, k+"="+g.encodeWire(p[1]))
	}
	return strings.Join(parts, "&")
}

func (g *generator) encodeWire(s string) string {
	if g.o.canonicalWire {
		return encodeAll(s)
	}
	const hexUpper, hexLower = "0123456789ABCDEF", "0123456789abcdef"
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		literal := false
		switch {
		case unreserved(c):
			literal = !g.chance(0.1)
		case strings.IndexByte("!$'()*,/:;?@", c) >= 0:
			literal = g.chance(0.5)
		case c == '+':
			literal = g.o.plusInQuery && g.chance(0.5)
		}
		if literal {
			b = append(b, c)
			continue
		}
		h := hexUpper
		if g.chance(0.3) {
			h = hexLower
		}
		b = append(b, '%', h[c>>4], h[c&15])
	}
	return string(b)
}

func (g *generator) body() []byte {
	switch g.rnd.IntN(4) {
	case 0:
		return nil
	case 1:
		return []byte(`{"hello":"world","n":` + fmt.Sprint(g.rnd.IntN(1000)) + `}`)
	case 2:
		return []byte(g.word("abcdefghijklmnopqrstuvwxyz &=%+\n\t", g.rnd.IntN(300)))
	default:
		b := make([]byte, g.rnd.IntN(300))
		for i := range b {
			b[i] = byte(g.rnd.IntN(256))
		}
		return b
	}
}

func (g *generator) headerValue() string {
	alphabet := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
	n := g.rnd.IntN(20)
	if !g.o.emptyHeaders && n == 0 {
		n = 1
	}
	var b strings.Builder
	if g.chance(0.3) {
		b.WriteString("  ")
	}
	for i := range n {
		b.WriteByte(alphabet[g.rnd.IntN(len(alphabet))])
		if i < n-1 && g.chance(0.15) {
			switch {
			case g.o.headerTabs && g.chance(0.3):
				b.WriteString(" \t ")
			case g.o.internalSpaces && g.chance(0.5):
				b.WriteString("   ")
			default:
				b.WriteByte(' ')
			}
		}
	}
	if g.chance(0.3) {
		b.WriteString("  ")
	}
	return b.String()
}

func (g *generator) headers(body []byte) [][2]string {
	names := []string{"X-Custom-Header", "x-amz-meta-Data", "My-Header1", "Content-Type", "X-Amz-Target", "Accept",
		"X-Forwarded-For", "If-Match", "X-Request-Id", "x-lower-case"}
	n := g.rnd.IntN(5)
	var hs [][2]string
	seen := map[string]bool{}
	for range n {
		name := g.pick(names...)
		if seen[http.CanonicalHeaderKey(name)] && !g.o.headerRepeats {
			continue
		}
		seen[http.CanonicalHeaderKey(name)] = true
		hs = append(hs, [2]string{name, g.headerValue()})
		if g.o.headerRepeats && g.chance(0.2) {
			hs = append(hs, [2]string{name, g.headerValue()})
		}
	}
	if g.o.contentSHA256 && g.chance(0.2) {
		hs = append(hs, [2]string{"X-Amz-Content-Sha256", PayloadHash(body)})
	}
	return hs
}
