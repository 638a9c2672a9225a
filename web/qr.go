package web

import (
	"fmt"
	"html/template"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// deepLink is the t.me link that opens the bot and subscribes to an
// académie in one tap (/start a_<slug>); empty when the bot is off.
func (s *Server) deepLink(slug string) string {
	if s.bot == "" {
		return ""
	}
	return "https://t.me/" + s.bot + "?start=a_" + slug
}

// qrSVG returns the QR code of an académie's deep link as inline SVG, so
// that a poster at the school gate or a screen in a rectorat can be
// scanned, with no image file and no external service. Codes are computed
// once per académie.
func (s *Server) qrSVG(slug string) (template.HTML, error) {
	link := s.deepLink(slug)
	if link == "" {
		return "", nil
	}
	s.qrMu.Lock()
	defer s.qrMu.Unlock()
	if svg, ok := s.qr[slug]; ok {
		return template.HTML(svg), nil
	}
	code, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("web: qr code of %q: %w", slug, err)
	}
	svg := bitmapSVG(code.Bitmap(), "Code QR pour s'abonner avec Telegram")
	s.qr[slug] = svg
	return template.HTML(svg), nil
}

// bitmapSVG draws the dark modules of a QR code as one path, a horizontal
// run of modules per subpath. The bitmap already includes the quiet zone.
func bitmapSVG(bits [][]bool, label string) string {
	n := len(bits)
	var d strings.Builder
	for y, row := range bits {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fmt.Fprintf(&d, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	return fmt.Sprintf(`<svg class="qr" viewBox="0 0 %d %d" role="img" aria-label="%s" shape-rendering="crispEdges">`+
		`<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		n, n, template.HTMLEscapeString(label), n, n, d.String())
}
