// Package bot is Sentinelle's conversation on Telegram: the update loop's
// handler, the commands and buttons, onboarding, and the French texts
// families read, including the Renderer that writes the dispatcher's
// messages.
//
// It talks to Telegram only through *telegram.Client (package telegram),
// which notify shares; bot imports no other project package except storage,
// catalog, telegram and the leaves for all (status, french), and never
// notify: a reply goes through the outbox.
package bot
