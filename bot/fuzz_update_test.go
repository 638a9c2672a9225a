package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"sentinelle/status"
	"sentinelle/storage"
)

// updateSeeds are the shapes of update Telegram sends (or could send) the
// bot; %d is replaced by a fresh message id.
var updateSeeds = []string{
	// Commands and text in a private chat.
	`{"update_id":1,"message":{"message_id":%d,"date":1617687900,"chat":{"id":101,"type":"private","first_name":"Camille"},"from":{"id":101,"is_bot":false,"first_name":"Camille","language_code":"fr"},"text":"/start acad_lyon","entities":[{"type":"bot_command","offset":0,"length":6}]}}`,
	`{"update_id":1,"message":{"message_id":%d,"date":1617687900,"chat":{"id":101,"type":"private"},"from":{"id":101,"is_bot":false,"first_name":"Camille"},"text":"/abonner Aix Marseille, 01","entities":[{"type":"bot_command","offset":0,"length":8}]}}`,
	`{"update_id":1,"message":{"message_id":%d,"date":1617687900,"chat":{"id":103,"type":"private"},"from":{"id":103,"is_bot":false,"first_name":"Mme","last_name":"Dupont"},"text":"/profil enseignant collège","entities":[{"type":"bot_command","offset":0,"length":7}]}}`,
	`{"update_id":1,"message":{"message_id":%d,"date":1617687900,"chat":{"id":103,"type":"private"},"from":{"id":103,"is_bot":false,"first_name":"Mme"},"text":"/classe 6e B & <co>","entities":[{"type":"bot_command","offset":0,"length":7}]}}`,
	`{"update_id":1,"message":{"message_id":%d,"date":1617687900,"chat":{"id":103,"type":"private"},"from":{"id":103,"is_bot":false,"first_name":"Mme"},"text":"/planb ABCD2345 Allez sur <b>Lumni</b> &amp; co","entities":[{"type":"bot_command","offset":0,"length":6}]}}`,
	`{"update_id":1,"message":{"message_id":%d,"date":1617687900,"chat":{"id":103,"type":"private"},"from":{"id":103,"is_bot":false,"first_name":"Mme"},"text":"/diffuser ABCD2345 Sortie annulée","entities":[{"type":"bot_command","offset":0,"length":9}]}}`,
	`{"update_id":1,"message":{"message_id":%d,"date":1617687900,"chat":{"id":101,"type":"private"},"from":{"id":101,"is_bot":false,"first_name":"Camille"},"text":"bonjour 👋"}}`,
	`{"update_id":1,"message":{"message_id":%d,"date":1617687900,"chat":{"id":101,"type":"private"},"from":{"id":101,"is_bot":false,"first_name":"Camille"},"text":"/oublier","entities":[{"type":"bot_command","offset":0,"length":8}]}}`,
	// Admin commands.
	`{"update_id":1,"message":{"message_id":%d,"date":1617687900,"chat":{"id":999,"type":"private"},"from":{"id":999,"is_bot":false,"first_name":"Admin"},"text":"/annonce toutes Maintenance ce soir <b>& co","entities":[{"type":"bot_command","offset":0,"length":8}]}}`,
	`{"update_id":1,"message":{"message_id":%d,"date":1617687900,"chat":{"id":999,"type":"private"},"from":{"id":999,"is_bot":false,"first_name":"Admin"},"text":"/maintenance enc92 1h30","entities":[{"type":"bot_command","offset":0,"length":12}]}}`,
	`{"update_id":1,"message":{"message_id":%d,"date":1617687900,"chat":{"id":999,"type":"private"},"from":{"id":999,"is_bot":false,"first_name":"Admin"},"text":"/stats","entities":[{"type":"bot_command","offset":0,"length":6}]}}`,
	// Groups: a command for us, for another bot, chatter, an anonymous admin.
	`{"update_id":1,"message":{"message_id":%d,"date":1617687900,"chat":{"id":-200,"type":"group","title":"Parents de 6e B"},"from":{"id":201,"is_bot":false,"first_name":"Directrice"},"text":"/abonner@sentinelle_bot lyon","entities":[{"type":"bot_command","offset":0,"length":23}]}}`,
	`{"update_id":1,"message":{"message_id":%d,"date":1617687900,"chat":{"id":-1001234567890,"type":"supergroup","title":"6e B"},"from":{"id":202,"is_bot":false,"first_name":"Parent"},"text":"/etat@autre_bot","entities":[{"type":"bot_command","offset":0,"length":15}]}}`,
	`{"update_id":1,"message":{"message_id":%d,"date":1617687900,"chat":{"id":-200,"type":"group"},"from":{"id":202,"is_bot":false,"first_name":"Parent"},"text":"merci à tous"}}`,
	`{"update_id":1,"message":{"message_id":%d,"date":1617687900,"chat":{"id":-200,"type":"group"},"from":{"id":1087968824,"is_bot":true,"first_name":"Group","username":"GroupAnonymousBot"},"sender_chat":{"id":-200,"type":"group"},"text":"/classe 5e A","entities":[{"type":"bot_command","offset":0,"length":7}]}}`,
	// A group that became a supergroup; a channel post; a message without sender.
	`{"update_id":1,"message":{"message_id":%d,"date":1617687900,"chat":{"id":-200,"type":"group"},"from":{"id":201,"is_bot":false,"first_name":"Directrice"},"migrate_to_chat_id":-1009876543210}}`,
	`{"update_id":1,"channel_post":{"message_id":%d,"date":1617687900,"chat":{"id":-1005555,"type":"channel","title":"ENT"},"text":"/etat","entities":[{"type":"bot_command","offset":0,"length":5}]}}`,
	`{"update_id":1,"message":{"message_id":%d,"date":1617687900,"chat":{"id":-1005555,"type":"channel"},"text":"/etat","entities":[{"type":"bot_command","offset":0,"length":5}]}}`,
	// Button presses, with and without their message.
	`{"update_id":1,"callback_query":{"id":"cb1","from":{"id":101,"is_bot":false,"first_name":"Camille"},"message":{"message_id":%d,"date":1617687900,"chat":{"id":101,"type":"private"},"text":"Choisissez"},"chat_instance":"ci101","data":"r:parent"}}`,
	`{"update_id":1,"callback_query":{"id":"cb2","from":{"id":101,"is_bot":false,"first_name":"Camille"},"message":{"message_id":%d,"date":1617687900,"chat":{"id":101,"type":"private"}},"chat_instance":"ci101","data":"a:versailles"}}`,
	`{"update_id":1,"callback_query":{"id":"cb3","from":{"id":103,"is_bot":false,"first_name":"Mme"},"message":{"message_id":%d,"date":1617687900,"chat":{"id":103,"type":"private"}},"chat_instance":"ci103","data":"k:q1:versailles"}}`,
	`{"update_id":1,"callback_query":{"id":"cb4","from":{"id":202,"is_bot":false,"first_name":"Parent"},"message":{"message_id":%d,"date":1617687900,"chat":{"id":-200,"type":"group"}},"chat_instance":"ci200","data":"ok:q1"}}`,
	`{"update_id":1,"callback_query":{"id":"cb5","from":{"id":101,"is_bot":false,"first_name":"Camille"},"inline_message_id":"AAA%d","chat_instance":"x","data":"u:*"}}`,
	// The bot blocked, unblocked, added to a group.
	`{"update_id":1,"my_chat_member":{"chat":{"id":101,"type":"private"},"from":{"id":101,"is_bot":false,"first_name":"Camille"},"date":%d,"old_chat_member":{"user":{"id":123456789,"is_bot":true,"first_name":"Sentinelle","username":"sentinelle_bot"},"status":"member"},"new_chat_member":{"user":{"id":123456789,"is_bot":true,"first_name":"Sentinelle","username":"sentinelle_bot"},"status":"kicked"}}}`,
	`{"update_id":1,"my_chat_member":{"chat":{"id":-200,"type":"group","title":"Parents"},"from":{"id":201,"is_bot":false,"first_name":"Directrice"},"date":%d,"old_chat_member":{"user":{"id":123456789,"is_bot":true,"first_name":"Sentinelle"},"status":"left"},"new_chat_member":{"user":{"id":123456789,"is_bot":true,"first_name":"Sentinelle"},"status":"member"}}}`,
	// Bad UTF-8 and a lone surrogate (decoded as U+FFFD).
	`{"update_id":1,"message":{"message_id":%d,"date":1617687900,"chat":{"id":101,"type":"private"},"from":{"id":101,"is_bot":false,"first_name":"` + "\xff\xfe" + `"},"text":"/abonner \ud800 ly` + "\xc3" + `on","entities":[{"type":"bot_command","offset":0,"length":8}]}}`,
}

// FuzzUpdate feeds arbitrary update JSON through the bot's real batch
// handling (prepare, the transaction, finish), on a database file and the
// fake Telegram. No update may make it panic (the recover of panic.go
// would hide it: OnPanic must stay silent), nor fail the batch (Telegram
// would deliver it again and again), nor write a reply Telegram refuses.
func FuzzUpdate(f *testing.F) {
	for i, s := range updateSeeds {
		f.Add(fmt.Sprintf(s, 10+i))
	}
	huge := strings.Repeat("&<b>é👋 ", 1200)
	for _, cmd := range []string{"/annonce toutes ", "/planb ABCD2345 ", "/diffuser ABCD2345 ", "/abonner ", ""} {
		raw, _ := json.Marshal(map[string]any{"update_id": 1, "message": map[string]any{
			"message_id": 5, "date": 1617687900, "text": cmd + huge,
			"chat": map[string]any{"id": 999, "type": "private"}, "from": map[string]any{"id": 999, "first_name": "Admin"},
			"entities": []map[string]any{{"type": "bot_command", "offset": 0, "length": len(strings.TrimSpace(cmd))}}}})
		f.Add(string(raw))
	}
	bb := newBareBot(f)
	bb.logs.t = nil // f.Log may not be called inside the fuzz function
	ids := 0
	bb.bot.newID = func() (string, error) { ids++; return fmt.Sprintf("q%d", ids), nil }
	bb.bot.newCode = func() (string, error) { return fmt.Sprintf("ABCD%04d", ids%10000), nil }
	next, last := 0, int64(0)
	f.Fuzz(func(t *testing.T, raw string) {
		var u tgbotapi.Update
		if json.Unmarshal([]byte(raw), &u) != nil {
			return
		}
		next++
		u.UpdateID = next // a fresh update each time, or it would be skipped as applied
		bb.clock.Advance(time.Minute)
		bb.logs.reset()
		before := bb.panics.Load()
		err := bb.bot.handleBatch(context.Background(), []tgbotapi.Update{u})
		if bb.panics.Load() != before {
			t.Fatalf("the update's handling panicked:\n%s", bb.logs.String())
		}
		if err != nil {
			t.Fatalf("handleBatch: %v: the update would come back forever\n%s", err, bb.logs.String())
		}
		last = checkEvents(t, bb, last)
	})
}

// checkEvents checks the events written since the last call (last is
// the last id checked): each reply, notice or announcement must be a
// message Telegram accepts, rendered as the dispatcher would, to a real
// chat. It sends nothing, so that a failure belongs to the input that
// caused it, not to an earlier one. Ids have gaps where /oublier deleted
// events, hence the few misses allowed.
func checkEvents(t *testing.T, bb *bareBot, last int64) int64 {
	t.Helper()
	for id, misses := last+1, 0; misses < 20; id++ {
		ev, err := bb.store.Event(context.Background(), id)
		if errors.Is(err, storage.ErrNotFound) {
			misses++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		misses, last = 0, id
		if ev.Audience == status.AudienceChat(0) {
			t.Fatalf("event %d (%s) to chat 0: %s", ev.ID, ev.Kind, ev.Payload)
		}
		msg, err := bb.bot.Renderer().Render(context.Background(), ev, storage.Recipient{ChatID: 1})
		if err != nil {
			t.Fatalf("event %d (%s): %v", ev.ID, ev.Kind, err)
		}
		checkTelegram(t, fmt.Sprintf("event %d (%s, %s, key %s)", ev.ID, ev.Kind, ev.Audience, ev.DedupKey), msg.Text)
	}
	return last
}

// TestSubscriptionsNamingNothing: /abonner or /desabonner followed by
// words that name nothing, not even a wrong académie (punctuation, bad
// UTF-8, little words), get an answer, not an empty message Telegram
// refuses. Found by FuzzUpdate.
func TestSubscriptionsNamingNothing(t *testing.T) {
	bb := newBareBot(t)
	id := 0
	say := func(text string) string {
		t.Helper()
		id++
		if err := bb.bot.handleBatch(context.Background(), fakeUpdate(id, parentChat.ID, parentUser.ID, text)); err != nil {
			t.Fatal(err)
		}
		replies, err := repliesTo(context.Background(), bb.store, bb.dbPath, parentChat.ID)
		if err != nil || len(replies) == 0 {
			t.Fatalf("%s: no reply (%v)", text, err)
		}
		msg, err := bb.bot.Renderer().Render(context.Background(), replies[len(replies)-1], storage.Recipient{ChatID: parentChat.ID})
		if err != nil {
			t.Fatal(err)
		}
		checkTelegram(t, text, msg.Text)
		return msg.Text
	}
	for _, text := range []string{"/abonner ?", "/abonner \uFFFD{\uFFFD", "/abonner et de la", "/abonner lille", "/desabonner ?", "/desabonner , ;"} {
		say(text)
	}
}
