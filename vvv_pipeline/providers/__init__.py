"""Market-data providers: one interface, one implementation per provider."""
