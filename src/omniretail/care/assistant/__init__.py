"""omniretail.care.assistant: the Chinese FAQ bot with transactional answers."""
