package bot

import (
	"crypto/rand"
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// classCodeAlphabet has no letter that reads like another on a
// blackboard or a phone: no I, L, O, 0 or 1.
const classCodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// classCodeLen is the length of a class code: 31⁸ ≈ 8.5·10¹¹ codes.
const classCodeLen = 8

// newClassCode draws a class code with crypto/rand, without modulo bias.
func newClassCode() (string, error) {
	return randomString(classCodeAlphabet, classCodeLen)
}

// newConfirmationID draws the id of a question waiting for a button: it is
// the button's callback data, so it must not be guessable.
func newConfirmationID() (string, error) {
	return randomString("abcdefghijkmnpqrstuvwxyz23456789", 12)
}

func randomString(alphabet string, n int) (string, error) {
	limit := 256 - 256%len(alphabet) // bytes at or above are rejected
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("bot: random code: %w", err)
		}
		for _, c := range buf {
			if int(c) < limit && len(out) < n {
				out = append(out, alphabet[int(c)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}

// normalizeCode reads a class code as people copy it: any case, with
// spaces or dashes, or as the c_ payload of a join link. It returns "" for
// something that cannot be a code.
func normalizeCode(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "C_")
	s = strings.NewReplacer(" ", "", "-", "", ".", "").Replace(s)
	if len(s) != classCodeLen {
		return ""
	}
	for _, c := range s {
		if !strings.ContainsRune(classCodeAlphabet, c) {
			return ""
		}
	}
	return s
}

// joinLink is the deep link that joins a class in one tap.
func joinLink(username, code string) string {
	return "https://t.me/" + username + "?start=c_" + code
}

// qrPNG draws a link as a QR code PNG, large enough to scan from a
// projected slide or a printed sheet.
func qrPNG(link string) ([]byte, error) {
	png, err := qrcode.Encode(link, qrcode.Medium, 384)
	if err != nil {
		return nil, fmt.Errorf("bot: QR code: %w", err)
	}
	return png, nil
}
