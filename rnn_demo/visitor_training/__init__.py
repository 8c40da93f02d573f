"""Training a visitor's own model in the app (the Train tab): their data, checked; the training job; the result."""
