"""DNS failover: the provider interface, the pure switching policy, and the providers."""
