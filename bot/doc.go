// Package bot is Sentinelle's side of Telegram: the one door to the Bot API
// (Client), the update loop that feeds the command handlers, and the French
// texts families read.
//
// The Client wraps go-telegram-bot-api v5.5.1 because that library has no
// contexts, no timeouts, no error classes and leaks the bot token inside
// *url.Error texts. Everything that leaves this package is redacted, every
// failure is one *Error carrying a Class the dispatcher acts on, and every
// request honours its context. The package imports no other project package
// except storage and catalog; notify talks to Client through an interface it
// declares itself.
package bot
