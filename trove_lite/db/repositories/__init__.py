"""One module per aggregate. Every function takes the caller's
connection (``db.read``) or transaction (``db.transaction()``) as its
first argument and returns plain records, never ORM rows."""
