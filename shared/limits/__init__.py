"""Rate limits: token buckets kept in the store, so a limit holds across concurrent Lambdas."""
