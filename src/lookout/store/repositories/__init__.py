"""Named queries over the tables; services call these, routers never do."""
