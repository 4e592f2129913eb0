"""Conversations: the pure rules (states, presence, routing) and the database work (store, outbox, event log)."""
