"""DNS back ends failover publishes to: memory (tests), records (Lookout's own table), rfc2136."""
