"""UI components: each owns one part of the page, renders from model state and turns DOM events into model calls."""
