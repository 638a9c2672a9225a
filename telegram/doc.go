// Package telegram is Sentinelle's one door to the Telegram Bot API: the
// Client and its calls, the classes of failure, token redaction and the
// getUpdates loop. It exists apart from package bot so that the two parts
// that talk to Telegram, the conversation (bot) and the dispatcher
// (notify), share one client and one reading of Telegram's errors without
// importing each other; it imports no other project package.
//
// The Client wraps go-telegram-bot-api v5.5.1 because that library has no
// contexts, no timeouts, no error classes and leaks the bot token inside
// *url.Error texts. Everything that leaves this package is redacted, every
// failure is one *Error carrying a Class the dispatcher acts on, and every
// request honours its context. Package telegramtest, beside it, is a fake
// Bot API for tests, in the manner of net/http/httptest.
package telegram
