package sqlite_test

import (
	"testing"

	"github.com/fnurl/fnurl/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		db, _ := MustOpen(t)
		return db
	})
}
