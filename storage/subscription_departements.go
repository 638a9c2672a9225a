package storage

import (
	"context"
	"database/sql"
	"fmt"
)

// NarrowSubscription sets the départements (catalog codes) a chat's
// subscription to an académie is narrowed to, replacing those it had; none
// means the whole académie. The chat must follow the académie (Subscribe):
// a narrowing without its subscription is refused by the database.
func (t *Tx) NarrowSubscription(ctx context.Context, chatID int64, academie string, departements []string) error {
	_, err := t.tx.ExecContext(ctx, `DELETE FROM subscription_departements WHERE chat_id = ? AND academie = ?`,
		chatID, academie)
	if err != nil {
		return fmt.Errorf("storage: narrow subscription: %w", err)
	}
	for _, d := range departements {
		_, err := t.tx.ExecContext(ctx, `INSERT INTO subscription_departements (chat_id, academie, departement, created_at)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, chatID, academie, d, t.now)
		if err != nil {
			return fmt.Errorf("storage: narrow subscription to %s: %w", d, err)
		}
	}
	return nil
}

// subscriptionDepartements returns, for each académie a chat follows
// narrowed to some départements, their codes (sorted). An académie
// followed whole is absent.
func (t *Tx) subscriptionDepartements(ctx context.Context, chatID int64) (map[string][]string, error) {
	out := map[string][]string{}
	err := queryEach(ctx, t.tx, "storage: subscription départements", func(rows *sql.Rows) error {
		var a, d string
		if err := rows.Scan(&a, &d); err != nil {
			return err
		}
		out[a] = append(out[a], d)
		return nil
	}, `SELECT academie, departement FROM subscription_departements
		WHERE chat_id = ? ORDER BY academie, departement`, chatID)
	if err != nil {
		return nil, err
	}
	return out, nil
}
