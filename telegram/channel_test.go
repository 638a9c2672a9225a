package telegram

import (
	"context"
	"testing"

	"sentinelle/telegram/telegramtest"
)

func TestSendToChannel(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newTestClient(t, srv)
	id, err := c.SendToChannel(context.Background(), "@ent_versailles", "<b>MonLycée.net</b> : panne", nil)
	if err != nil {
		t.Fatalf("SendToChannel: %v", err)
	}
	sent := srv.Sent()
	if len(sent) != 1 || id == 0 {
		t.Fatalf("got %d sends, id %d; want one", len(sent), id)
	}
	if got := sent[0].Params.Get("chat_id"); got != "@ent_versailles" {
		t.Errorf("chat_id = %q, want @ent_versailles", got)
	}
	if got := sent[0].Params.Get("parse_mode"); got != "HTML" {
		t.Errorf("parse_mode = %q, want HTML", got)
	}
}
