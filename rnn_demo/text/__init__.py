"""Text generation: a character-level language model of Shakespeare's plays."""
