"""wardbot application: configuration, channels, storage, scheduler and the command line."""
