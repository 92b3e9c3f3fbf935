package pgstore

// NumMigrations returns how many migrations the package holds.
func NumMigrations() int { return len(migrations) }
