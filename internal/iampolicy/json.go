package iampolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// node is a JSON value that keeps object key order and duplicate keys, which
// encoding/json's maps would lose. Policies are small, so a tree is cheap.
type node struct {
	kind    nodeKind
	str     string // string value, number text, or "true"/"false"
	items   []node // array elements
	members []member
}

type member struct {
	key string
	val node
}

type nodeKind uint8

const (
	kindNull nodeKind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// maxDepth bounds nesting so hostile documents cannot exhaust the stack.
const maxDepth = 64

var errSyntax = errors.New("syntax")

// decodeJSON parses doc into a node tree. It rejects trailing data.
func decodeJSON(doc []byte) (node, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	n, err := decodeValue(dec, 0)
	if err != nil {
		return node{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return node{}, errSyntax
	}
	return n, nil
}

func decodeValue(dec *json.Decoder, depth int) (node, error) {
	if depth > maxDepth {
		return node{}, errSyntax
	}
	tok, err := dec.Token()
	if err != nil {
		return node{}, errSyntax
	}
	switch t := tok.(type) {
	case nil:
		return node{kind: kindNull}, nil
	case bool:
		if t {
			return node{kind: kindBool, str: "true"}, nil
		}
		return node{kind: kindBool, str: "false"}, nil
	case json.Number:
		return node{kind: kindNumber, str: t.String()}, nil
	case string:
		return node{kind: kindString, str: t}, nil
	case json.Delim:
		switch t {
		case '[':
			n := node{kind: kindArray, items: []node{}}
			for dec.More() {
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return node{}, err
				}
				n.items = append(n.items, v)
			}
			if _, err := dec.Token(); err != nil {
				return node{}, errSyntax
			}
			return n, nil
		case '{':
			n := node{kind: kindObject, members: []member{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return node{}, errSyntax
				}
				k, ok := kt.(string)
				if !ok {
					return node{}, errSyntax
				}
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return node{}, err
				}
				n.members = append(n.members, member{k, v})
			}
			if _, err := dec.Token(); err != nil {
				return node{}, errSyntax
			}
			return n, nil
		}
	}
	return node{}, errSyntax
}

// get returns the value of key in an object node (the last one if repeated).
func (n *node) get(key string) (*node, bool) {
	for i := len(n.members) - 1; i >= 0; i-- {
		if n.members[i].key == key {
			return &n.members[i].val, true
		}
	}
	return nil, false
}

// hasDuplicateKeys reports whether any object in the tree repeats a key.
func (n *node) hasDuplicateKeys() bool {
	switch n.kind {
	case kindArray:
		for i := range n.items {
			if n.items[i].hasDuplicateKeys() {
				return true
			}
		}
	case kindObject:
		seen := make(map[string]bool, len(n.members))
		for i := range n.members {
			if seen[n.members[i].key] {
				return true
			}
			seen[n.members[i].key] = true
			if n.members[i].val.hasDuplicateKeys() {
				return true
			}
		}
	}
	return false
}

func (n *node) isScalar() bool {
	return n.kind == kindString || n.kind == kindNumber || n.kind == kindBool
}
