package configs

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Edit is a YAML configuration being changed in place: a value is replaced where it stands,
// so the rest of the text (comments, their alignment, blank lines) stays as the person wrote
// it. Keys are dotted paths of a top-level section and a key: "broker.listen".
type Edit struct {
	lines []string
	root  *yaml.Node // the top-level mapping
}

// NewEdit starts an edit of src, a YAML document whose top level is a mapping.
func NewEdit(src []byte) (*Edit, error) {
	e := &Edit{lines: strings.SplitAfter(string(src), "\n")}
	if len(src) > 0 && !bytes.HasSuffix(src, []byte("\n")) {
		e.lines[len(e.lines)-1] += "\n"
	}
	if e.lines[len(e.lines)-1] == "" {
		e.lines = e.lines[:len(e.lines)-1]
	}
	return e, e.parse()
}

// Bytes is the edited document.
func (e *Edit) Bytes() []byte { return []byte(strings.Join(e.lines, "")) }

func (e *Edit) parse() error {
	var doc yaml.Node
	if err := yaml.Unmarshal(e.Bytes(), &doc); err != nil {
		return err
	}
	if len(doc.Content) == 0 {
		doc.Content = []*yaml.Node{{Kind: yaml.MappingNode}}
	}
	if doc.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("the top level is not a mapping of sections")
	}
	e.root = doc.Content[0]
	return nil
}

// Set gives key the value v (a string, number or bool, or a flow-style *yaml.Node such as a
// list of maps on one line), written as YAML writes it. A key or section the document lacks is
// added: a key as the first of its section, a section at the end.
func (e *Edit) Set(key string, v any) error {
	text, err := scalarText(v)
	if err != nil {
		return err
	}
	section, name, ok := strings.Cut(key, ".")
	if !ok {
		return fmt.Errorf("%s: want section.key", key)
	}
	sk, sv := lookup(e.root, section)
	switch {
	case sk == nil:
		if n := len(e.lines); n > 0 && strings.TrimSpace(e.lines[n-1]) != "" {
			e.lines = append(e.lines, "\n")
		}
		e.lines = append(e.lines, section+":\n", "  "+name+": "+text+"\n")
	case sv.Kind != yaml.MappingNode:
		return fmt.Errorf("%s: not a section of keys", section)
	default:
		k, val := lookup(sv, name)
		switch {
		case k == nil:
			indent := "  "
			if len(sv.Content) > 0 {
				indent = strings.Repeat(" ", sv.Content[0].Column-1)
			}
			if sv.Style == yaml.FlowStyle || sk.Line == sv.Line {
				return fmt.Errorf("%s: a section written on one line cannot take a new key", section)
			}
			e.lines = append(e.lines[:sk.Line], append([]string{indent + name + ": " + text + "\n"}, e.lines[sk.Line:]...)...)
		case val.Kind == yaml.ScalarNode:
			e.replaceScalar(val, text)
		case val.Style == yaml.FlowStyle && flowEnd(e.lines[val.Line-1], val.Column-1) > 0:
			line := strings.TrimSuffix(e.lines[val.Line-1], "\n")
			end := flowEnd(line, val.Column-1)
			e.lines[val.Line-1] = line[:val.Column-1] + text + line[end:] + "\n"
		default:
			return fmt.Errorf("%s: not a single value, nor a list or map written on one line", key)
		}
	}
	return e.parse()
}

// replaceScalar puts text where the scalar n stands, keeping a comment after it where it was
// (one space at least).
func (e *Edit) replaceScalar(n *yaml.Node, text string) {
	line := strings.TrimSuffix(e.lines[n.Line-1], "\n")
	start := n.Column - 1
	end := scalarEnd(line, start)
	rest := line[end:]
	if trimmed := strings.TrimLeft(rest, " "); strings.HasPrefix(trimmed, "#") {
		gap := len(rest) - len(trimmed) - (len(text) - (end - start))
		rest = strings.Repeat(" ", max(gap, 1)) + trimmed
	}
	e.lines[n.Line-1] = line[:start] + text + rest + "\n"
}

// flowEnd is where the flow collection that starts at line[start] ends, after its closing
// bracket; 0 when it does not end on this line.
func flowEnd(line string, start int) int {
	depth := 0
	var quote byte
	for i := start; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return 0
}

// scalarEnd is where the scalar token that starts at line[start] ends: after its closing
// quote, or a plain scalar before a comment or the end of the line.
func scalarEnd(line string, start int) int {
	switch q := line[start]; q {
	case '"', '\'':
		for i := start + 1; i < len(line); i++ {
			switch {
			case q == '"' && line[i] == '\\':
				i++
			case q == '\'' && line[i] == '\'' && i+1 < len(line) && line[i+1] == '\'':
				i++
			case line[i] == q:
				return i + 1
			}
		}
		return len(line)
	}
	end := len(line)
	if i := strings.Index(line[start:], " #"); i >= 0 {
		end = start + i
	}
	return start + len(strings.TrimRight(line[start:end], " "))
}

// SetList replaces the list under key (a whole top-level section such as "zones") by items,
// each encoded as YAML writes it in the style the node asks for (flow: one line an item).
func (e *Edit) SetList(key string, items []*yaml.Node) error {
	k, v := lookup(e.root, key)
	if k == nil {
		return fmt.Errorf("%s: not in the file", key)
	}
	indent := "  "
	if v.Kind == yaml.SequenceNode && len(v.Content) > 0 && v.Style != yaml.FlowStyle {
		indent = strings.Repeat(" ", max(v.Content[0].Column-3, 0))
	}
	var block []string
	if len(items) > 0 {
		var err error
		if block, err = encodeItems(items, indent); err != nil {
			return err
		}
	}
	head := k.Line // the lines after the key's own
	tail := e.sectionEnd(key)
	keyLine := e.lines[k.Line-1][:k.Column-1] + key + ":\n"
	if len(items) == 0 {
		keyLine = keyLine[:len(keyLine)-1] + " []\n"
	}
	out := append([]string{}, e.lines[:k.Line-1]...)
	out = append(out, keyLine)
	out = append(out, block...)
	out = append(out, e.lines[max(head, tail):]...)
	e.lines = out
	return e.parse()
}

// sectionEnd is the index of the first line after the top-level section key: the next
// section's key or the comment block just above it (a comment that belongs to it), after any
// blank lines; the end of the file for the last section.
func (e *Edit) sectionEnd(key string) int {
	c := e.root.Content
	for i := 0; i+1 < len(c); i += 2 {
		if c[i].Value != key {
			continue
		}
		if i+2 >= len(c) {
			return len(e.lines)
		}
		end := c[i+2].Line - 1
		for end > 0 && strings.HasPrefix(strings.TrimSpace(e.lines[end-1]), "#") {
			end--
		}
		for end > 0 && strings.TrimSpace(e.lines[end-1]) == "" {
			end--
		}
		return end
	}
	return len(e.lines)
}

// lookup finds key in the mapping m: its key and value nodes, or nils.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// scalarText is v as a YAML scalar on one line.
func scalarText(v any) (string, error) {
	out, err := yaml.Marshal(v)
	if err != nil {
		return "", err
	}
	s := strings.TrimSuffix(string(out), "\n")
	if strings.Contains(s, "\n") {
		return "", fmt.Errorf("%q does not fit on one line", v)
	}
	return s, nil
}

// SetTop gives the top-level key the scalar value v, added at the top when the document
// lacks it.
func (e *Edit) SetTop(key string, v any) error {
	text, err := scalarText(v)
	if err != nil {
		return err
	}
	k, val := lookup(e.root, key)
	switch {
	case k == nil:
		first := len(e.lines)
		if len(e.root.Content) > 0 {
			first = e.root.Content[0].Line - 1
			for first > 0 && strings.HasPrefix(strings.TrimSpace(e.lines[first-1]), "#") {
				first--
			}
		}
		e.lines = append(e.lines[:first], append([]string{key + ": " + text + "\n"}, e.lines[first:]...)...)
	case val.Kind != yaml.ScalarNode:
		return fmt.Errorf("%s: not a single value", key)
	default:
		e.replaceScalar(val, text)
	}
	return e.parse()
}

// Items is the list under the top-level key: nil when the key is missing or not a list.
func (e *Edit) Items(key string) []*yaml.Node {
	if _, v := lookup(e.root, key); v != nil && v.Kind == yaml.SequenceNode {
		return v.Content
	}
	return nil
}

// SetItem replaces item i of the list under key by item, or appends it when i is the list's
// length; the other items and their comments stay as they are. A list written on one line is
// written again whole.
func (e *Edit) SetItem(key string, i int, item *yaml.Node) error {
	_, v := lookup(e.root, key)
	if v == nil || v.Kind != yaml.SequenceNode || i < 0 || i > len(v.Content) {
		return fmt.Errorf("%s: no list with an item %d", key, i)
	}
	if v.Style == yaml.FlowStyle || len(v.Content) == 0 {
		items := append(append([]*yaml.Node{}, v.Content[:i]...), item)
		if i < len(v.Content) {
			items = append(items, v.Content[i+1:]...)
		}
		return e.SetList(key, items)
	}
	block, err := encodeItems([]*yaml.Node{item}, strings.Repeat(" ", max(v.Content[0].Column-3, 0)))
	if err != nil {
		return err
	}
	start, end := e.itemSpan(key, v, min(i, len(v.Content)-1))
	if i == len(v.Content) {
		start = end
	}
	e.lines = append(e.lines[:start], append(block, e.lines[end:]...)...)
	return e.parse()
}

// DeleteItem removes item i of the list under key.
func (e *Edit) DeleteItem(key string, i int) error {
	_, v := lookup(e.root, key)
	if v == nil || v.Kind != yaml.SequenceNode || i < 0 || i >= len(v.Content) {
		return fmt.Errorf("%s: no list with an item %d", key, i)
	}
	if v.Style == yaml.FlowStyle {
		return e.SetList(key, append(append([]*yaml.Node{}, v.Content[:i]...), v.Content[i+1:]...))
	}
	start, end := e.itemSpan(key, v, i)
	for i == 0 && end < len(e.lines) && strings.TrimSpace(e.lines[end]) == "" {
		end++ // no blank line left between the key and what was the second item
	}
	e.lines = append(e.lines[:start], e.lines[end:]...)
	return e.parse()
}

// itemSpan is the lines [start, end) of item i of the block list v under key: from its dash
// to the next item or the end of the section, less the blank and comment lines just before
// that (they belong to what follows).
func (e *Edit) itemSpan(key string, v *yaml.Node, i int) (start, end int) {
	start = v.Content[i].Line - 1
	end = e.sectionEnd(key)
	if i+1 < len(v.Content) {
		end = v.Content[i+1].Line - 1
	}
	for end > start+1 {
		if l := strings.TrimSpace(e.lines[end-1]); l != "" && !strings.HasPrefix(l, "#") {
			break
		}
		end--
	}
	return start, end
}

// encodeItems writes items as block list entries, each line after indent.
func encodeItems(items []*yaml.Node, indent string) ([]string, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.SequenceNode, Content: items}); err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.SplitAfter(strings.TrimSuffix(b.String(), "\n"), "\n") {
		out = append(out, indent+strings.TrimSuffix(l, "\n")+"\n")
	}
	return out, nil
}

// SetField gives the mapping m the scalar key: value (with its YAML tag, e.g. "!!int"), added
// at the end when m lacks it; an unchanged value keeps its style.
func SetField(m *yaml.Node, key, value, tag string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v := m.Content[i+1]
			if v.Value != value {
				v.Value, v.Tag, v.Style = value, tag, 0
			}
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key, Tag: "!!str"},
		&yaml.Node{Kind: yaml.ScalarNode, Value: value, Tag: tag})
}

// DropField removes key from the mapping m.
func DropField(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// Clone is a deep copy of n.
func Clone(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = nil
	for _, ch := range n.Content {
		c.Content = append(c.Content, Clone(ch))
	}
	return &c
}
