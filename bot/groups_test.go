package bot

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"sentinelle/storage"
	"sentinelle/storage/storagetest"
)

func TestGroupOnlyAdminsChangeSettings(t *testing.T) {
	h := newHarness(t)
	h.srv.SetChatMemberStatus(groupChat.ID, groupAdmin.ID, "administrator")
	h.member(groupChat, groupAdmin, "member") // the bot is added: it says hello
	h.say(groupChat, groupMember, "/abonner versailles")
	if got := subsOf(t, h, groupChat.ID); len(got) != 0 {
		t.Fatalf("a plain member subscribed the group: %v", got)
	}
	h.sayEach(groupChat, groupMember,
		"bonjour à tous", // conversation: ignored
		"/start@autre_bot",
		"/etat@sentinelle_bot")
	m := lastOf(t, h.say(groupChat, groupAdmin, "/abonner@sentinelle_bot versailles"))
	wantText(t, m, "Abonnement enregistré : Versailles")
	menu := lastOf(t, h.say(groupChat, groupAdmin, "/alertes"))
	h.press(groupChat, groupMember, menu.MessageID, "al:lent")
	if c := chatOf(t, h, groupChat.ID); c.AlertDegraded || c.Kind != "group" {
		t.Fatalf("a plain member changed the group's alerts: %+v", c)
	}
	h.press(groupChat, groupAdmin, menu.MessageID, "al:lent")
	if c := chatOf(t, h, groupChat.ID); !c.AlertDegraded {
		t.Fatalf("the group's admin could not change its alerts: %+v", c)
	}
	h.golden("group")
}

func TestBlockedThenBack(t *testing.T) {
	h := newHarness(t)
	h.say(parentChat, parentUser, "/abonner lille")
	h.member(parentChat, parentUser, "kicked")
	if c := chatOf(t, h, parentChat.ID); c.Active {
		t.Fatal("a chat that blocked the bot is still active")
	}
	if got := subsOf(t, h, parentChat.ID); !slices.Equal(got, []string{"lille"}) {
		t.Fatalf("blocking lost the subscriptions: %v", got)
	}
	h.member(parentChat, parentUser, "member")
	if c := chatOf(t, h, parentChat.ID); !c.Active {
		t.Fatal("a chat that unblocked the bot is still inactive")
	}
	h.member(groupChat, groupAdmin, "left") // a group never seen: nothing stored
	if _, err := storagetest.Do(h.store.Update, context.Background(), func(tx *storage.Tx) (storage.Chat, error) { return tx.Chat(context.Background(), groupChat.ID) }); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a group that removed the bot was stored: %v", err)
	}
}

func TestFloodGetsOneWarningThenSilence(t *testing.T) {
	h := newHarness(t)
	for range commandsPerMinute {
		h.say(parentChat, parentUser, "/aide")
	}
	m := lastOf(t, h.say(parentChat, parentUser, "/aide"))
	wantText(t, m, "Doucement")
	if sent := h.say(parentChat, parentUser, "/aide"); len(sent) != 0 {
		t.Fatalf("after the warning, %d replies", len(sent))
	}
	if sent := h.say(pupilChat, pupilUser, "/aide"); len(sent) != 1 {
		t.Fatalf("another chat was silenced too")
	}
	h.advance(time.Minute)
	if sent := h.say(parentChat, parentUser, "/aide"); len(sent) != 1 {
		t.Fatalf("a minute later, %d replies, want 1", len(sent))
	}
}

func TestEachUpdateProcessedOnce(t *testing.T) {
	h := newHarness(t)
	h.say(parentChat, parentUser, "/abonner lille")
	replies, err := repliesTo(context.Background(), h.store, h.dbPath, parentChat.ID)
	if err != nil || len(replies) != 1 {
		t.Fatalf("%d replies, %v", len(replies), err)
	}
	// Telegram re-delivers a batch the bot already applied (a crash before
	// the next getUpdates): nothing happens twice.
	last, _ := h.store.LastUpdateID(context.Background())
	upd := fakeUpdate(int(last), parentChat.ID, parentUser.ID, "/abonner paris")
	if err := h.bot.handleBatch(context.Background(), upd); err != nil {
		t.Fatal(err)
	}
	if got := subsOf(t, h, parentChat.ID); !slices.Equal(got, []string{"lille"}) {
		t.Fatalf("a re-delivered update was applied again: %v", got)
	}
	if replies, _ := repliesTo(context.Background(), h.store, h.dbPath, parentChat.ID); len(replies) != 1 {
		t.Fatalf("a re-delivered update was answered again: %d replies", len(replies))
	}
}

func TestSupergroupMigration(t *testing.T) {
	h := newHarness(t)
	h.srv.SetChatMemberStatus(groupChat.ID, groupAdmin.ID, "creator")
	h.say(groupChat, groupAdmin, "/abonner nantes")
	last, _ := h.store.LastUpdateID(context.Background())
	upd := fakeUpdate(int(last)+1, groupChat.ID, groupAdmin.ID, "")
	upd[0].Message.MigrateToChatID = -1001234567890
	if err := h.bot.handleBatch(context.Background(), upd); err != nil {
		t.Fatal(err)
	}
	if got := subsOf(t, h, -1001234567890); !slices.Equal(got, []string{"nantes"}) {
		t.Fatalf("the supergroup did not inherit the subscriptions: %v", got)
	}
}

// fakeUpdate builds an update as the library decodes it, for tests that
// call handleBatch directly.
func fakeUpdate(id int, chatID, userID int64, text string) []tgbotapi.Update {
	typ := "private"
	if chatID < 0 {
		typ = "group"
	}
	return []tgbotapi.Update{{UpdateID: id, Message: &tgbotapi.Message{MessageID: id, Text: text,
		From: &tgbotapi.User{ID: userID, FirstName: "Test"}, Chat: &tgbotapi.Chat{ID: chatID, Type: typ}}}}
}
