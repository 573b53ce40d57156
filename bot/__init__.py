"""wardbot application: configuration, channels, storage, background tasks and the command line."""
