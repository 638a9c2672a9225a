package telegramtest

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestParseHTML(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string // visible text
		wantErr string // substring of the error; "" means valid
	}{
		{"plain", "ENT indisponible", "ENT indisponible", ""},
		{"all simple tags", "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike><del>d</del>", "bsieunskd", ""},
		{"spoilers", `<tg-spoiler>x</tg-spoiler><span class="tg-spoiler">y</span>`, "xy", ""},
		{"link", `<a href="https://www.education.gouv.fr/?a=1&amp;b=2">site</a>`, "site", ""},
		{"code and pre", `<pre><code class="language-go">x := 1</code></pre>`, "x := 1", ""},
		{"blockquote expandable", "<blockquote expandable>long</blockquote>", "long", ""},
		{"custom emoji", `<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>`, "👍", ""},
		{"upper-case tag", "<B>gras</B>", "gras", ""},
		{"nested", "<b>gras <i>et italique</i></b>", "gras et italique", ""},
		{"named entities", "a &lt; b &gt; c &amp; d &quot;e&quot;", `a < b > c & d "e"`, ""},
		{"numeric entities", "l&#39;ENT &#x2014; &#233;", "l'ENT — é", ""},
		{"bare greater-than", "3 > 2", "3 > 2", ""},
		{"escaped by html.EscapeString", html.EscapeString(`<script>"l'ENT" & co</script>`), `<script>"l'ENT" & co</script>`, ""},
		{"accents and emoji", "Académie de Créteil 🔴", "Académie de Créteil 🔴", ""},
		{"bare less-than", "a < b", "", `Unsupported start tag ""`},
		{"heart", "<3", "", "Unsupported start tag"},
		{"unsupported tag", "<div>x</div>", "", `Unsupported start tag "div" at byte offset 0`},
		{"br", "ligne<br>ligne", "", `Unsupported start tag "br"`},
		{"bare ampersand", "Q&A", "", `"&" at byte offset 1`},
		{"unknown named entity", "a&nbsp;b", "", "must be escaped"},
		{"ampersand in href", `<a href="https://x.fr/?a=1&b=2">x</a>`, "", "must be escaped"},
		{"unclosed", "<b>gras", "", `Can't find end tag corresponding to start tag "b"`},
		{"misnested", "<b><i>x</b></i>", "", `expected "</i>", found "</b>"`},
		{"end without start", "x</b>", "", "Unexpected end tag"},
		{"unclosed start tag", "<b", "", "Unclosed start tag"},
		{"span without class", "<span>x</span>", "", `Tag "span" must have class "tg-spoiler"`},
		{"unterminated attribute", `<a href="x>y</a>`, "", "Unclosed start tag"},
		{"invalid numeric entity", "&#0;", "", "must be escaped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHTML(tt.in)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("ParseHTML(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseHTML(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestSendValidation(t *testing.T) {
	s := NewServer(t, WithoutLimits())
	long := strings.Repeat("é", 4096)
	tests := []struct {
		name     string
		fields   url.Values
		wantDesc string // "" means accepted
	}{
		{"4096 characters", url.Values{"text": {long}}, ""},
		{"4096 characters plus tags", url.Values{"text": {"<b>" + long + "</b>"}, "parse_mode": {"HTML"}}, ""},
		{"4097 characters", url.Values{"text": {long + "x"}}, "Bad Request: message is too long"},
		{"4096 after decoding entities", url.Values{"text": {strings.Repeat("&amp;", 4096)}, "parse_mode": {"HTML"}}, ""},
		{"empty", url.Values{"text": {""}}, "Bad Request: message text is empty"},
		{"only tags", url.Values{"text": {"<b> </b>"}, "parse_mode": {"HTML"}}, "Bad Request: message text is empty"},
		{"bad HTML", url.Values{"text": {"a < b"}, "parse_mode": {"HTML"}}, "Bad Request: can't parse entities: "},
		{"bad HTML, lower-case mode", url.Values{"text": {"<p>x</p>"}, "parse_mode": {"html"}}, "Bad Request: can't parse entities: "},
		{"HTML not checked in plain mode", url.Values{"text": {"a < b & c"}}, ""},
		{"callback data over 64 bytes", url.Values{"text": {"x"},
			"reply_markup": {`{"inline_keyboard":[[{"text":"t","callback_data":"` + strings.Repeat("é", 33) + `"}]]}`}},
			"Bad Request: BUTTON_DATA_INVALID"},
		{"markup not JSON", url.Values{"text": {"x"}, "reply_markup": {"{"}}, "Bad Request: can't parse reply keyboard markup JSON object"},
		{"no chat", url.Values{"chat_id": {""}, "text": {"x"}}, "Bad Request: chat_id is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := tt.fields["chat_id"]; !ok {
				tt.fields.Set("chat_id", "42")
			}
			e := post(t, s, "sendMessage", tt.fields)
			if tt.wantDesc == "" {
				if !e.OK {
					t.Fatalf("refused: %d %s", e.ErrorCode, e.Description)
				}
				return
			}
			if e.status != http.StatusBadRequest || !strings.HasPrefix(e.Description, tt.wantDesc) {
				t.Fatalf("answer = %d %q, want 400 %q", e.status, e.Description, tt.wantDesc)
			}
		})
	}
}

func TestCaptionLimit(t *testing.T) {
	s := NewServer(t, WithoutLimits())
	e := post(t, s, "sendPhoto", url.Values{"chat_id": {"1"}, "photo": {"file-id"}, "caption": {strings.Repeat("x", 1025)}})
	if e.status != http.StatusBadRequest || e.Description != "Bad Request: message caption is too long" {
		t.Fatalf("long caption = %d %q", e.status, e.Description)
	}
	e = post(t, s, "sendPhoto", url.Values{"chat_id": {"1"}, "caption": {"x"}})
	if e.status != http.StatusBadRequest || !strings.Contains(e.Description, "no photo") {
		t.Fatalf("photo missing = %d %q", e.status, e.Description)
	}
	if e := post(t, s, "sendPhoto", url.Values{"chat_id": {"1"}, "photo": {"file-id"}}); !e.OK {
		t.Fatalf("photo without caption refused: %s", e.Description)
	}
}
