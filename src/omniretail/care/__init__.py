"""omniretail.care: customer service — the desk (inbox, tickets, SLA), the FAQ assistant and
crisis alerts. Sits above marketing; independent of operations."""
