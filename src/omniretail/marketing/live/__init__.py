"""Live commerce and content (直播, 短视频): sessions, and what each one brought."""
