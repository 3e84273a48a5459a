"""Background work on a durable task queue (huey): each piece of work is a :class:`Job`
row, which the web, the API and the CLI show with its progress and errors, and which a
killed worker can never leave "running"."""
