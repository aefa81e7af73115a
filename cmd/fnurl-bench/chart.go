package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"unicode"
)

// canvas draws rectangles and text on an RGBA image.
type canvas struct {
	img   *image.RGBA
	scale int // pixels per font pixel
}

func newCanvas(w, h, scale int) *canvas {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	c := &canvas{img: img, scale: scale}
	c.rect(0, 0, w, h, color.RGBA{255, 255, 255, 255})
	return c
}

func (c *canvas) rect(x, y, w, h int, col color.RGBA) {
	r := image.Rect(x, y, x+w, y+h).Intersect(c.img.Bounds())
	for yy := r.Min.Y; yy < r.Max.Y; yy++ {
		for xx := r.Min.X; xx < r.Max.X; xx++ {
			c.img.SetRGBA(xx, yy, col)
		}
	}
}

// textWidth is the width of s in pixels.
func (c *canvas) textWidth(s string) int {
	n := len([]rune(s))
	if n == 0 {
		return 0
	}
	return (n*(glyphW+1) - 1) * c.scale
}

func (c *canvas) textHeight() int { return glyphH * c.scale }

// text draws s with its top-left corner at x, y.
func (c *canvas) text(x, y int, s string, col color.RGBA) {
	for _, r := range s {
		g, ok := glyphs[unicode.ToUpper(r)]
		if ok {
			for gy, row := range g {
				for gx, px := range row {
					if px == '#' {
						c.rect(x+gx*c.scale, y+gy*c.scale, c.scale, c.scale, col)
					}
				}
			}
		}
		x += (glyphW + 1) * c.scale
	}
}

// bar is one bar of a panel.
type bar struct {
	label string
	value float64
	text  string // printed after the bar
	col   color.RGBA
}

// panel is a horizontal bar chart with a title.
type panel struct {
	title string
	bars  []bar
}

var (
	colText    = color.RGBA{30, 30, 30, 255}
	colGrid    = color.RGBA{220, 220, 220, 255}
	colHello   = color.RGBA{150, 150, 150, 255}
	colFnurl   = color.RGBA{40, 110, 200, 255}
	colReject  = color.RGBA{230, 140, 40, 255}
	colSDK     = color.RGBA{60, 160, 90, 255}
	colOther   = color.RGBA{200, 60, 60, 255}
	colCompare = color.RGBA{150, 185, 230, 255} // the -compare server
)

func targetColor(name string) color.RGBA {
	switch {
	case strings.HasSuffix(name, "@B"):
		return colCompare
	case name == "hello":
		return colHello
	case name == "url-reject":
		return colReject
	case strings.HasPrefix(name, "moto") || strings.HasPrefix(name, "rie"):
		return colOther // other servers
	case strings.HasPrefix(name, "url-") || name == "invoke":
		return colFnurl
	}
	return colSDK
}

// drawPanels renders panels one under the other.
func drawPanels(panels []panel) ([]byte, error) {
	const (
		scale  = 2
		width  = 1100
		margin = 16
		barH   = 18
		gap    = 6
	)
	measure := newCanvas(1, 1, scale)
	labelW := 0
	for _, p := range panels {
		for _, b := range p.bars {
			labelW = max(labelW, measure.textWidth(b.label))
		}
	}
	th := measure.textHeight()
	height := margin
	for _, p := range panels {
		height += th + 10 + len(p.bars)*(barH+gap) + 2*margin
	}
	c := newCanvas(width, height, scale)
	y := margin
	for _, p := range panels {
		c.text(margin, y, p.title, colText)
		y += th + 10
		x0 := margin + labelW + 10
		valueW := c.textWidth("0000000 US (0.00X)")
		plotW := width - x0 - margin - valueW
		maxV := 0.0
		for _, b := range p.bars {
			maxV = max(maxV, b.value)
		}
		if maxV <= 0 {
			maxV = 1
		}
		c.rect(x0, y-2, 1, len(p.bars)*(barH+gap)+2, colGrid)
		for _, b := range p.bars {
			c.text(margin+labelW-c.textWidth(b.label), y+(barH-th)/2, b.label, colText)
			w := int(b.value / maxV * float64(plotW))
			if b.value > 0 {
				w = max(w, 1)
			}
			c.rect(x0+1, y, w, barH, b.col)
			c.text(x0+w+8, y+(barH-th)/2, b.text, colText)
			y += barH + gap
		}
		y += 2 * margin
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, c.img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// chart draws p50 latency at concurrency 1 and req/s at each concurrency.
func (r *results) chart() ([]byte, error) {
	var panels []panel
	lat := panel{title: "P50 LATENCY AT C=1, MICROSECONDS (LOWER IS BETTER)"}
	for _, t := range r.order {
		if s, ok := r.summary(t, 1); ok {
			txt := fmt.Sprintf("%.0f", s.p50)
			if s.hasHello && t != "hello" {
				txt += fmt.Sprintf(" (%.1fX HELLO)", s.p50Ratio)
			}
			lat.bars = append(lat.bars, bar{label: t, value: s.p50, text: txt, col: targetColor(t)})
		}
	}
	panels = append(panels, lat)
	for _, c := range r.cfg.conc {
		p := panel{title: fmt.Sprintf("REQUESTS PER SECOND AT C=%d (HIGHER IS BETTER)", c)}
		for _, t := range r.order {
			if s, ok := r.summary(t, c); ok {
				txt := fmt.Sprintf("%.0f", s.rps)
				if s.hasHello && t != "hello" {
					txt += fmt.Sprintf(" (%.2fX)", s.rpsRatio)
				}
				p.bars = append(p.bars, bar{label: t, value: s.rps, text: txt, col: targetColor(t)})
			}
		}
		panels = append(panels, p)
	}
	return drawPanels(panels)
}
